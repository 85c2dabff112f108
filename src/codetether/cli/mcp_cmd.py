"""`codetether mcp serve [PROJECT]`: offer this project's tools to MCP clients over stdio."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from codetether.errors import UsageError


def execute(args: argparse.Namespace) -> int:
    root = Path(args.project or ".").expanduser()
    if not root.is_dir():
        raise UsageError(f"PROJECT {args.project} is not a directory", "Give an existing project directory, "
                         "e.g. codetether mcp serve ~/src/my-app")
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise UsageError("`codetether mcp` needs the `mcp` package, which is not installed",
                         "pip install 'mcp>=1.30,<2'") from None
    from codetether.mcp.server import serve_stdio

    asyncio.run(serve_stdio(root.resolve()))
    return 0
