"""The public Python API's implementation; use it through `codetether` (these modules are private)."""
