"""Credentials taken out of the process environment at start: kept in memory, inherited by no child process.

`seal()` moves the Vault token, codetether's own tokens and provider API keys from `os.environ` into this
module, wipes their values from the initial environment block (what `/proc/<pid>/environ` shows) and marks
the process not dumpable, so neither a child nor another process of the same user can read them there.
Readers use `environ()`: the environment as it was, sealed values included."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

SEALED_NAMES = frozenset({"VAULT_TOKEN", "BAO_TOKEN", "CODETETHER_AUTH_TOKEN", "CODETETHER_TOKEN",
                          "CODETETHER_CRASH_REPORT_AUTH_TOKEN", "CODETETHER_CRASH_REPORT_API_KEY",
                          "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
SEALED_SUFFIXES = ("_API_KEY",)

_sealed: dict[str, str] = {}


def is_sealed_name(name: str) -> bool:
    upper = name.upper()
    return upper in SEALED_NAMES or upper.endswith(SEALED_SUFFIXES)


def seal() -> None:
    """Take every credential out of os.environ (idempotent; called once the command line is parsed)."""
    names = [name for name in os.environ if is_sealed_name(name)]
    if names and sys.platform.startswith("linux"):
        _wipe_initial_block(names)
        _not_dumpable()
    for name in names:
        _sealed[name] = os.environ.pop(name)


def environ() -> Mapping[str, str]:
    """os.environ with the sealed credentials: what readers of settings and keys look at."""
    if not _sealed:
        return os.environ
    return {**os.environ, **_sealed}


def _wipe_initial_block(names: list[str]) -> None:
    """Overwrite the values in the process's initial environment strings, which unsetenv leaves in place."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        table = ctypes.c_void_p.in_dll(libc, "environ").value
        if not table:
            return
        prefixes = [name.encode() + b"=" for name in names]
        for index in range(100_000):
            entry = ctypes.c_void_p.from_address(table + index * ctypes.sizeof(ctypes.c_void_p)).value
            if not entry:
                break
            text = ctypes.string_at(entry)
            for prefix in prefixes:
                if text.startswith(prefix):
                    ctypes.memset(entry + len(prefix), 0, len(text) - len(prefix))
    except (OSError, ValueError, AttributeError):
        pass  # not glibc-like: the values are still gone from os.environ and from every child


def _not_dumpable() -> None:
    """PR_SET_DUMPABLE 0: other processes of this user can't ptrace us or read /proc/<pid>/environ or mem."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
