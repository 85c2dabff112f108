"""Test harness: stand-ins for the outside world (LLM providers, OpenBao). Never imports codetether."""
