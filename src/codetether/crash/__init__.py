"""Opt-in crash reporting: reports queued under <data dir>/crash-reports/, uploaded on the next start."""

from pathlib import Path

DEFAULT_ENDPOINT = "https://telemetry.codetether.ai/v1/crash-reports"
SCHEMA = "codetether.crash.v1"


def spool_dir() -> Path:
    from codetether.config.paths import data_dir

    return data_dir() / "crash-reports"


def has_queued_reports() -> bool:
    """One directory listing; the upload module (and what it imports) loads only when this is true."""
    try:
        return any(spool_dir().glob("*.json"))
    except OSError:
        return False
