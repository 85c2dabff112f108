"""Find a test's processes on the host: sandboxed commands see only their own PID namespace's numbers."""

from __future__ import annotations

import os
import time
from pathlib import Path


def host_pids(marker: str) -> list[int]:
    """Live (non-zombie) host processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes() and \
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
        except (OSError, IndexError):
            pass
    return found


def wait_gone(marker: str, within: float = 5.0) -> list[int]:
    """Wait until no process holds `marker`; the survivors if some still do after `within` seconds."""
    end = time.monotonic() + within
    while (alive := host_pids(marker)) and time.monotonic() < end:
        time.sleep(0.05)
    return alive
