"""The first-run question of the interactive TUI: may crash reports be sent? Asked once, answer saved."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from codetether.config.load import Config

INTRO = """CodeTether Optional Crash Reporting
  - If CodeTether crashes, a report (error message, stack trace of file names and line numbers, version,
    OS/arch and command line) is queued and sent on the next start.
  - No source files, API keys or secrets are included; secret values are removed from every field.
  - Reports wait in the data directory under crash-reports/ until they are sent.
  - Change it any time: codetether config --set telemetry.crash_reporting=true|false"""


def should_ask(config: Config, interactive: bool) -> bool:
    return (interactive and not config.get("telemetry.crash_reporting")
            and not config.get("telemetry.crash_reporting_prompted")
            and not os.environ.get("CODETETHER_CRASH_REPORTING"))


def ask(read: Callable[[str], str] = input, write: Callable[[str], None] = print,
        path: Path | None = None) -> bool:
    """Ask until the answer is y or n (empty: no), save it with the prompted flag, and return it."""
    from codetether.config.load import set_value

    write(INTRO)
    while True:
        try:
            answer = read("Enable crash reporting now? [y/N]: ").strip().lower()
        except EOFError:
            answer = ""
        if answer in ("", "n", "no", "y", "yes"):
            break
        write("Please answer 'y' or 'n'.")
    enabled = answer in ("y", "yes")
    set_value(f"telemetry.crash_reporting={'true' if enabled else 'false'}", path)
    set_value("telemetry.crash_reporting_prompted=true", path)
    if enabled:
        write("Crash reporting enabled. If your endpoint needs authentication, set "
              "CODETETHER_CRASH_REPORT_AUTH_TOKEN or CODETETHER_CRASH_REPORT_API_KEY.")
    else:
        write("Crash reporting disabled.")
    return enabled


def maybe_ask(config: Config) -> Config:
    """On a terminal, ask once before the TUI starts; any failure leaves the config as it was."""
    if not should_ask(config, sys.stdin.isatty() and sys.stdout.isatty()):
        return config
    try:
        ask(path=config.path)
        from codetether.config.load import load

        return load(config.path)
    except Exception as exc:
        print(f"warning: could not save the crash-reporting choice: {exc}", file=sys.stderr)
        return config
