"""CodeTether Agent: a terminal AI coding agent with first-class A2A support."""

import sys

__version__ = "0.1.0"

# httpx imports its optional command-line client (click, rich, pygments) whenever those happen to be
# installed, ~30 ms of start-up we never use; a None entry makes that one import fail fast, as httpx expects.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
