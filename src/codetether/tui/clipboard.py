"""An image on the system clipboard (a screenshot copied to it), read with the platform's clipboard tool."""

from __future__ import annotations

import os
import subprocess
import sys

from codetether.process import host_program

# (the command listing the clipboard's types, the command printing one type; {mime} is filled in)
_READERS = (
    ("WAYLAND_DISPLAY", ["wl-paste", "--list-types"], ["wl-paste", "--no-newline", "--type", "{mime}"]),
    ("DISPLAY", ["xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
     ["xclip", "-selection", "clipboard", "-t", "{mime}", "-o"]),
)
_PREFERRED = ("image/png", "image/jpeg", "image/webp", "image/gif")


def clipboard_image() -> bytes | None:
    """The clipboard's image, or None when it holds none or no clipboard tool is there."""
    pngpaste = host_program("pngpaste") if sys.platform == "darwin" else None
    if pngpaste:
        return _run([pngpaste, "-"])
    for display, list_types, read in _READERS:
        tool = host_program(list_types[0]) if os.environ.get(display) else None
        if not tool:
            continue  # run by its absolute path: an empty PATH entry would find one planted in the workspace
        listed = _run([tool, *list_types[1:]])
        types = (listed or b"").decode(errors="replace").split()
        mime = next((m for m in _PREFERRED if m in types), None)
        if mime:
            return _run([tool, *(arg.format(mime=mime) for arg in read[1:])])
    return None


def _run(command: list[str]) -> bytes | None:
    try:
        proc = subprocess.run(command, capture_output=True, timeout=5, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 and proc.stdout else None
