import os
import sys

# `python -m codetether` puts the current folder first on sys.path, and an empty or relative PYTHONPATH entry is
# the current folder too: the workspace, which every command writes. Nothing the agent imports later (a grammar,
# a lazily loaded module) may come from there: it would run on the host, outside the sandbox.
_cwd = os.getcwd()
sys.path[:] = [p for p in sys.path if os.path.isabs(p) and os.path.normpath(p) != _cwd]

from codetether.cli import entry  # noqa: E402

entry()
