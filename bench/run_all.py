#!/usr/bin/env python3
"""`make bench`: run every benchmark in bench/ and print their tables one after another."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Order: cheapest first, so a failure late in the list still leaves the start-up figures on screen.
SCRIPTS = ["startup.py", "oneshot.py", "sessions.py", "grep.py", "swarm.py", "rlm.py", "a2a_serve.py", "tui.py",
           "codesearch.py"]


def main() -> int:
    failed = []
    for name in SCRIPTS:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n## {name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"({name}: {time.monotonic() - started:.1f} s, exit {code})", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
