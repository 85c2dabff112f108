"""Context windows by model name; the table itself lives in models_catalog (one source of truth)."""

from __future__ import annotations

from codetether.provider.models_catalog import DEFAULT_CONTEXT_WINDOW, context_window_for, max_output_for

__all__ = ["DEFAULT_CONTEXT_WINDOW", "context_window_for", "max_output_for"]
