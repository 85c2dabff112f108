"""`codetether run`: one prompt, answered on stdout, with an exit code scripts can trust."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path

from codetether.agent import events as ev
from codetether.agent.factory import prepare_agent
from codetether.cli.output import JsonlRenderer, TextRenderer, usage_dict
from codetether.config.load import load
from codetether.errors import CodetetherError, UsageError

EXIT_CODES = {"completed": 0, "error": 1, "max_steps": 3, "cancelled": 130}


def execute(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    config = load()
    session_id = str(uuid.uuid4())
    message = " ".join(args.message) + _attachments(args.file)
    jsonl = JsonlRenderer(session_id) if args.format == "jsonl" else None
    sink: ev.EventSink = jsonl or (TextRenderer() if args.format == "default" else ev.discard)
    if jsonl:
        jsonl.emit("run.started", session_id=session_id)
    try:
        prepared = await prepare_agent(config, model_id=args.model, agent_name=args.agent or "chat",
                                       cwd=Path.cwd(), sink=sink, max_steps=args.max_steps,
                                       stream=not args.no_stream)
    except CodetetherError as exc:
        if jsonl:
            jsonl.emit("run.failed", error=exc.message)
        raise
    try:
        result = await prepared.agent.run(message)
    finally:
        await prepared.aclose()
    summary = {"session_id": session_id, "model": prepared.resolved.id, "agent": prepared.agent_name,
               "steps": result.steps, "exit_reason": result.exit_reason, "usage": usage_dict(result.usage)}
    if args.format == "json":
        print(json.dumps({"text": result.text, **summary, "error": result.error}, indent=2, ensure_ascii=False))
    elif jsonl:
        if result.ok:
            jsonl.emit("run.completed", session_id=session_id, response=result.text, usage=summary["usage"])
        else:
            jsonl.emit("run.failed", error=result.error or f"stopped: {result.exit_reason}", response=result.text)
    if result.error and args.format != "json":
        print(f"error: {result.error}", file=sys.stderr)
    elif result.exit_reason == "max_steps":
        print(f"stopped after {result.steps} steps (--max-steps); the task may be unfinished", file=sys.stderr)
    return EXIT_CODES.get(result.exit_reason, 1)


def _attachments(paths: list[str]) -> str:
    blocks = []
    for name in paths:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot attach {name}: {getattr(exc, 'strerror', None) or exc}") from None
        blocks.append(f"\n\n<file path=\"{name}\">\n{text}\n</file>")
    return "".join(blocks)
