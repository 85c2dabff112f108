"""USD prices by model name; the table itself lives in models_catalog (one source of truth)."""

from __future__ import annotations

from codetether.provider.models_catalog import cost_usd, price_for

__all__ = ["cost_usd", "price_for"]
