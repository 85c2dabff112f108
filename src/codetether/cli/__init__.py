"""The `codetether` command line; heavy modules load only inside the command that needs them."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:  # --help | head: the reader went away
        return reader_gone()


def reader_gone() -> int:
    """Output's reader closed the pipe (`codetether tools list | head -1`): stop quietly, as Unix tools do.

    Whatever is still buffered goes nowhere instead of failing again at exit; 141 is a SIGPIPE death's status."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass
    os.close(devnull)
    return 141


def _main(argv: list[str]) -> int:
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


def _no_imports_from_the_workspace() -> None:
    """`python -m codetether` puts the current folder first on sys.path, and an empty or relative PYTHONPATH entry
    is the current folder too: the workspace, which every command writes. Nothing the agent imports later (a
    grammar, a lazily loaded module) may come from there: it would run on the host, outside the sandbox."""
    import os

    try:
        cwd = os.getcwd()
    except OSError:
        return
    sys.path[:] = [p for p in sys.path if os.path.isabs(p) and os.path.normpath(p) != cwd]


def entry() -> None:
    """The `codetether` executable: main(), then a quick exit.

    Tearing down the ~400 loaded modules costs ~40 ms after the answer is shown. Once main() has returned, every
    file and session is closed, so exit handlers run and the process ends without that teardown; if a
    non-daemon thread is still running (or a profiler is attached), the normal exit happens instead."""
    _no_imports_from_the_workspace()
    code = main()
    import threading

    busy = any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    if busy or sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler or coverage tool writes its data at the normal exit
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe (codetether ... | head): nothing more can be written anyway
    os._exit(code)
