"""Timestamps for cognition records: RFC 3339 UTC, as the original's chrono output."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
