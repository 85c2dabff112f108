"""`codetether acp`: serve the Agent Client Protocol on stdin/stdout for an editor (Zed, JetBrains, Neovim)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys


def execute(args: argparse.Namespace) -> int:
    if args.login:  # a terminal sign-in the editor runs for us (authMethods of type "terminal")
        from codetether.acp.auth import login_command
        from codetether.cli.dispatch import dispatch

        return dispatch(login_command(args.login))
    from codetether.config.load import load

    config = load()  # a broken config fails here, as one clear line on stderr, before any protocol traffic
    _logging(args.log_file, args.verbose)
    from codetether.acp.server import serve

    asyncio.run(serve(config, assume_yes=args.yes))
    return 0


def _logging(log_file: str | None, verbose: bool) -> None:
    """Logs go to stderr (editors show it as the agent's log) or a file; stdout is the protocol's alone."""
    handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s codetether acp %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO if log_file else logging.WARNING)
