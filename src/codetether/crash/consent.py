"""The first-run question of the interactive TUI (a dialog there): may crash reports be sent? Asked once."""

from __future__ import annotations

import os
from pathlib import Path

from codetether.config.load import Config

INTRO = """CodeTether Optional Crash Reporting
  - If CodeTether crashes, a report (error message, stack trace of file names and line numbers, version,
    OS/arch and command line) is queued and sent on the next start.
  - No source files, API keys or secrets are included; secret values are removed from every field.
  - Reports wait in the data directory under crash-reports/ until they are sent.
  - Change it any time: codetether config --set telemetry.crash_reporting=true|false"""


def should_ask(config: Config) -> bool:
    return (not config.get("telemetry.crash_reporting")
            and not config.get("telemetry.crash_reporting_prompted")
            and not os.environ.get("CODETETHER_CRASH_REPORTING"))


def save_choice(enabled: bool, path: Path | None = None) -> str:
    """Save the answer with the prompted flag; returns the line that confirms it."""
    from codetether.config.load import set_value

    set_value(f"telemetry.crash_reporting={'true' if enabled else 'false'}", path)
    set_value("telemetry.crash_reporting_prompted=true", path)
    if enabled:
        return ("Crash reporting enabled. If your endpoint needs authentication, set "
                "CODETETHER_CRASH_REPORT_AUTH_TOKEN or CODETETHER_CRASH_REPORT_API_KEY.")
    return "Crash reporting disabled."
