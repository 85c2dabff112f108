"""An image on the system clipboard (a screenshot copied to it), read with the platform's clipboard tool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# (the command listing the clipboard's types, the command printing one type; {mime} is filled in)
_READERS = (
    ("WAYLAND_DISPLAY", ["wl-paste", "--list-types"], ["wl-paste", "--no-newline", "--type", "{mime}"]),
    ("DISPLAY", ["xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
     ["xclip", "-selection", "clipboard", "-t", "{mime}", "-o"]),
)
_PREFERRED = ("image/png", "image/jpeg", "image/webp", "image/gif")


def clipboard_image() -> bytes | None:
    """The clipboard's image, or None when it holds none or no clipboard tool is there."""
    if sys.platform == "darwin" and shutil.which("pngpaste"):
        return _run(["pngpaste", "-"])
    for display, list_types, read in _READERS:
        if not os.environ.get(display) or not shutil.which(list_types[0]):
            continue
        listed = _run(list_types)
        types = (listed or b"").decode(errors="replace").split()
        mime = next((m for m in _PREFERRED if m in types), None)
        if mime:
            return _run([arg.format(mime=mime) for arg in read])
    return None


def _run(command: list[str]) -> bytes | None:
    try:
        proc = subprocess.run(command, capture_output=True, timeout=5, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 and proc.stdout else None
