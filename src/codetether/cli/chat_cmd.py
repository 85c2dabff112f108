"""`codetether chat` (and bare `codetether`): an interactive line-mode agent session."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from codetether.agent.factory import prepare_agent
from codetether.cli.output import TextRenderer
from codetether.config.load import load

HELP = "Type a request and press Enter. /new starts over, /exit, Ctrl-D or Ctrl-C quits."


def execute(args: argparse.Namespace) -> int:
    return asyncio.run(_chat(args))


async def _chat(args: argparse.Namespace) -> int:
    config = load()
    renderer = TextRenderer()
    prepared = await prepare_agent(config, model_id=getattr(args, "model", None),
                                   agent_name=getattr(args, "agent", None) or "build", cwd=Path.cwd(),
                                   sink=renderer, max_steps=getattr(args, "max_steps", None),
                                   stream=not getattr(args, "no_stream", False))
    agent = prepared.agent
    system = agent.messages[:1]
    print(f"codetether · {prepared.resolved.id} · agent {prepared.agent_name} · {agent.ctx.root}\n{HELP}",
          file=sys.stderr)
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "\n> ")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line in ("/exit", "/quit"):
                break
            if line == "/new":
                agent.messages = list(system)
                print("(new conversation)", file=sys.stderr)
                continue
            result = await agent.run(line)
            if result.error:
                print(f"error: {result.error}", file=sys.stderr)
    finally:
        await prepared.aclose()
    return 0
