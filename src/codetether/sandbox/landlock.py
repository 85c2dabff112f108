"""With the network allowed, a command shares the host's network namespace, and with it the host's abstract
unix sockets (X11's @/tmp/.X11-unix/X0, some D-Bus buses): Landlock's scoping (kernel ABI 6+) cuts those off.

`scoped(argv)` prefixes a command with a tiny exec shim that restricts itself and then execs the command; where
Landlock can't scope, it execs unchanged (the README says so)."""

from __future__ import annotations

import functools
import sys

# Run by the sandbox's Python: no site, no environment; it must stay importable without codetether.
SHIM = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]
abi = libc.syscall(444, None, 0, 1)
if abi >= 6:
    attr = Attr(0, 0, 1 | 2)  # LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL
    fd = libc.syscall(444, ctypes.byref(attr), ctypes.sizeof(attr), 0)
    if fd < 0 or libc.prctl(38, 1, 0, 0, 0) != 0 or libc.syscall(446, fd, 0) != 0:
        sys.exit("codetether sandbox: could not apply Landlock scoping")
os.execvp(sys.argv[1], sys.argv[1:])
"""


def scoped(argv: list[str]) -> list[str]:
    """`argv` behind the Landlock shim, when this kernel scopes abstract sockets (else as it is)."""
    return [sys.executable, "-I", "-S", "-c", SHIM, *argv] if abi() >= 6 else argv


@functools.cache
def abi() -> int:
    if not sys.platform.startswith("linux"):
        return 0
    try:
        import ctypes

        return max(0, int(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1)))
    except (OSError, AttributeError):
        return 0
