"""`codetether chat` (and bare `codetether`): an interactive line-mode agent session."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from codetether.cli.output import TextRenderer
from codetether.cli.run_cmd import session_ref
from codetether.config.load import load
from codetether.session.turn import SessionRun
from codetether.tool.permission import ApprovalRequest, Approvals

HELP = "Type a request and press Enter. /new starts over, /exit, Ctrl-D or Ctrl-C quits."


def execute(args: argparse.Namespace) -> int:
    return asyncio.run(_chat(args))


async def _chat(args: argparse.Namespace) -> int:
    config = load()
    options = dict(model_id=getattr(args, "model", None), agent_name=getattr(args, "agent", None) or "build",
                   max_steps=getattr(args, "max_steps", None), stream=not getattr(args, "no_stream", False),
                   approvals=Approvals(getattr(args, "yes", False), ask_on_terminal))
    run = await SessionRun.open(config, cwd=Path.cwd(), session_ref=_ref(args), sink=TextRenderer(), **options)
    print(f"codetether · {run.prepared.resolved.id} · agent {run.prepared.agent_name} · {run.project.root}\n{HELP}",
          file=sys.stderr)
    try:
        while True:
            try:
                line = (await asyncio.to_thread(input, "\n> ")).strip()
            except EOFError:
                break
            if line in ("/exit", "/quit"):
                break
            if line == "/new":
                await run.aclose()
                run = await SessionRun.open(config, cwd=Path.cwd(), sink=TextRenderer(), **options)
                print("(new session)", file=sys.stderr)
            elif line:
                result = await run.turn(line)
                if result.error:
                    print(f"error: {result.error}", file=sys.stderr)
    finally:
        await run.aclose()
        if run.session_id:
            print(f"[Session: {run.session_id} | Continue with: codetether chat -c]", file=sys.stderr)
    return 0


async def ask_on_terminal(request: ApprovalRequest) -> bool:
    """The line-mode approver: a y/N question; anything but yes (or end of input) declines."""
    question = f"\nAllow {request.subject}?\n  ({request.rule}) [y/N] "
    try:
        answer = await asyncio.to_thread(input, question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _ref(args: argparse.Namespace) -> str | None:
    return session_ref(args) if hasattr(args, "continue_session") else None
