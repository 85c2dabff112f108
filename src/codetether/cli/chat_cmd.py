"""`codetether chat` (and bare `codetether`): an interactive line-mode agent session."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from codetether.cli.output import TextRenderer
from codetether.cli.run_cmd import session_ref
from codetether.config.load import load
from codetether.session.turn import SessionRun
from codetether.tool.support.permission import ApprovalRequest, Approvals

HELP = "Type a request and press Enter. Ctrl-C stops a turn; /new starts over; /exit, Ctrl-D or Ctrl-C here quits."


def execute(args: argparse.Namespace) -> int:
    # input() runs on the main thread, outside the event loop, so Ctrl-C at the prompt quits at once and
    # Ctrl-C during a turn cancels just that turn.
    loop = asyncio.new_event_loop()
    try:
        return _chat(loop, args)
    finally:
        # What asyncio.run does on the way out: unfinished async generators (an HTTP stream the last turn left)
        # are closed while the loop still runs, instead of complaining from the garbage collector.
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def _chat(loop: asyncio.AbstractEventLoop, args: argparse.Namespace) -> int:
    config = load()
    options: dict[str, Any] = {
        "model_id": getattr(args, "model", None), "agent_name": getattr(args, "agent", None) or "build",
        "max_steps": getattr(args, "max_steps", None), "stream": not getattr(args, "no_stream", False),
        "approvals": Approvals(getattr(args, "yes", False), ask_on_terminal),
        "ask_user": ask_question_on_terminal}  # the question tool reaches the user here
    run = loop.run_until_complete(
        SessionRun.open(config, cwd=Path.cwd(), session_ref=_ref(args), sink=TextRenderer(), **options))
    print(f"codetether · {run.prepared.resolved.id} · agent {run.prepared.agent_name} · {run.project.root}\n{HELP}",
          file=sys.stderr)
    try:
        while True:
            try:
                line = input("\n> ").strip()
            except EOFError:
                break
            if line in ("/exit", "/quit"):
                break
            if line == "/new":
                loop.run_until_complete(run.aclose())
                run = loop.run_until_complete(SessionRun.open(config, cwd=Path.cwd(), sink=TextRenderer(), **options))
                print("(new session)", file=sys.stderr)
            elif line:
                _turn(loop, run, line)
    finally:
        loop.run_until_complete(run.aclose())
        if run.session_id:
            print(f"[Session: {run.session_id} | Continue with: codetether chat -c]", file=sys.stderr)
    return 0


def _turn(loop: asyncio.AbstractEventLoop, run: SessionRun, line: str) -> None:
    task = loop.create_task(run.turn(line))
    try:
        result = loop.run_until_complete(task)
    except KeyboardInterrupt:
        task.cancel()
        try:
            loop.run_until_complete(task)
        except (asyncio.CancelledError, KeyboardInterrupt):
            pass
        print("\n(turn stopped)", file=sys.stderr)
        return
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)


async def ask_on_terminal(request: ApprovalRequest) -> bool:
    """The line-mode approver: a y/N question; anything but yes (or end of input) declines."""
    try:  # off the event loop: other tasks (a streaming reply, background tools) go on while the user thinks
        answer = await asyncio.to_thread(input, f"\nAllow {request.subject}?\n  ({request.rule}) [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


async def ask_question_on_terminal(question: str, options: list[str], default: str | None) -> str:
    """The question tool in line mode: options numbered, a number or free text answers; Enter takes the default."""
    lines = [f"\n? {question}", *(f"  {n}. {option}" for n, option in enumerate(options, 1))]
    try:
        answer = (await asyncio.to_thread(input, "\n".join(lines) + (f"\n  answer [{default}]: " if default
                                                                     else "\n  answer: "))).strip()
    except EOFError:
        return ""
    if answer.isdigit() and 1 <= int(answer) <= len(options):
        return options[int(answer) - 1]
    return answer or default or ""


def _ref(args: argparse.Namespace) -> str | None:
    return session_ref(args) if hasattr(args, "continue_session") else None
