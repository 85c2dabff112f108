"""The `codetether` command line; heavy modules load only inside the command that needs them."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # --version and --help answer before anything else is imported: they must start as fast as Python.
    if argv in (["--version"], ["-V"]):
        from codetether import __version__

        print(f"codetether {__version__}")
        return 0
    if argv in (["--help"], ["-h"]):
        from codetether.cli.commands import top_level_help

        print(top_level_help())
        return 0
    from codetether.cli.dispatch import dispatch

    return dispatch(argv)
