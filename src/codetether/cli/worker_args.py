"""Flags of `codetether worker`, and the root-level --server/--token/--name that make worker the default."""

from __future__ import annotations

import argparse

from codetether.cli.sandbox_flags import add_sandbox_flags


def add_root_worker_flags(parser: argparse.ArgumentParser) -> None:
    """`codetether --server URL` (or CODETETHER_SERVER) with no command starts the worker, as in the seed."""
    parser.add_argument("-s", "--server", dest="root_server", metavar="URL",
                        help="with no command: run as a worker for this platform (env CODETETHER_SERVER)")
    parser.add_argument("-t", "--token", dest="root_token", metavar="TOKEN", help=argparse.SUPPRESS)
    parser.add_argument("-n", "--name", dest="root_name", metavar="NAME", help=argparse.SUPPRESS)


def add_worker_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--server", metavar="URL",
                   help="the CodeTether platform, e.g. https://api.codetether.run (env CODETETHER_SERVER)")
    p.add_argument("-t", "--token", help="bearer token for the platform (env CODETETHER_TOKEN)")
    p.add_argument("-n", "--name", help="worker name (env CODETETHER_WORKER_NAME; default codetether-<pid>)")
    p.add_argument("-w", "--workspace", action="append", default=[], metavar="DIR",
                   help="a project directory tasks may run in (repeatable; the first is the default; "
                        "default: the current directory)")
    p.add_argument("-c", "--codebases", metavar="P1,P2", help="the same as --workspace, comma-separated (seed name)")
    p.add_argument("--auto-approve", choices=("all", "safe", "none"), default=None,
                   help="all: every tool may run and [permission] 'ask' rules are allowed; safe (default) and none: "
                        "read-only tools only, as in the seed (write, edit, bash, ... refused; swarm sub-agents "
                        "read-only; Ralph tasks refused)")
    p.add_argument("-m", "--model", help="provider/model for tasks that name neither a model nor a tier")
    p.add_argument("--max-concurrent", type=_positive, metavar="N",
                   help="run up to N tasks at once (env CODETETHER_WORKER_MAX_CONCURRENT; default 4)")
    add_sandbox_flags(p)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value
