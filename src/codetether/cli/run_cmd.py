"""`codetether run`: one prompt, answered on stdout, with an exit code scripts can trust."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from codetether.agent import events as ev
from codetether.attachments import attachments, piped_stdin, piped_text
from codetether.cli.output import JsonlRenderer, TextRenderer, usage_dict
from codetether.config.load import load
from codetether.errors import CodetetherError, UsageError
from codetether.images import image_file, image_from_bytes, sniff
from codetether.provider.model import ImagePart
from codetether.provider.pricing import cost_usd
from codetether.session.turn import CONTINUE_LATEST, SessionRun
from codetether.tool.support.permission import Approvals


def execute(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    jsonl = JsonlRenderer() if args.format == "jsonl" else None
    sink: ev.EventSink = jsonl or (TextRenderer() if args.format == "default" else ev.discard)
    resuming = args.continue_session or args.session
    try:
        config = load()
        message, images = with_piped_input(" ".join(args.message).strip())
        if not message:
            raise UsageError("the message is empty", 'Example: codetether run "explain this repository"')
        texts, file_images = split_images(args.file)
        message += attachments(texts)
        images += file_images
        run = await SessionRun.open(config, cwd=Path.cwd(), model_id=args.model,
                                    agent_name=args.agent or (None if resuming else "chat"),
                                    session_ref=session_ref(args), sink=sink, max_steps=args.max_steps,
                                    stream=not args.no_stream, approvals=Approvals(assume_yes=args.yes))
    except CodetetherError as exc:
        if jsonl:
            jsonl.emit("run.failed", error=exc.message)
        elif args.format == "json":
            print(json.dumps({"text": "", "exit_reason": ev.ExitReason.ERROR, "error": exc.message}, indent=2))
        raise
    try:
        result = await run.turn(message, images)
        info = run.store.get(run.session_id)
    finally:
        await run.aclose(wait_for_runs=True)  # a Ralph run the turn started finishes before we exit
    session_id = info.id
    prepared = run.prepared
    summary = {"session_id": session_id, "model": prepared.resolved.id, "agent": prepared.agent_name,
               "steps": result.steps, "exit_reason": result.exit_reason, "usage": usage_dict(result.usage),
               "cost_usd": round(cost_usd(prepared.resolved.model, result.usage), 6),
               "session_usage": {"prompt_tokens": info.prompt_tokens, "completion_tokens": info.completion_tokens,
                                 "cost_usd": round(info.cost_usd, 6)}}
    if args.format == "json":
        print(json.dumps({"text": result.text, **summary, "error": result.error}, indent=2, ensure_ascii=False))
    elif jsonl:
        if result.ok:
            jsonl.emit("run.completed", session_id=session_id, response=result.text, usage=summary["usage"])
        else:
            jsonl.emit("run.failed", error=result.error or f"stopped: {result.exit_reason}", response=result.text)
    if result.error and args.format != "json":
        print(f"error: {result.error}", file=sys.stderr)
    elif result.exit_reason is ev.ExitReason.MAX_STEPS:
        print(f"stopped after {result.steps} steps (--max-steps); the task may be unfinished", file=sys.stderr)
    if args.format == "default":
        print(f'[Session: {session_id} | Continue with: codetether run -c "..."]', file=sys.stderr)
    return result.exit_reason.exit_code


def with_piped_input(message: str) -> tuple[str, list[ImagePart]]:
    """`run -` takes the message from standard input; otherwise piped text (or a piped image) goes with it."""
    raw = piped_stdin()
    if raw and sniff(raw):
        if message == "-":
            raise UsageError("`codetether run -` reads the message from standard input, but an image was piped in",
                             'Give the message as an argument: cat shot.png | codetether run "what is this?"')
        return message, [image_from_bytes(raw, "the piped image")]
    text = piped_text(raw).strip() if raw else ""
    if message == "-":
        if not text:
            raise UsageError("`codetether run -` reads the message from standard input, which was empty",
                             'Example: echo "explain this repository" | codetether run -')
        return text, []
    return (f"{message}\n\n<stdin>\n{text}\n</stdin>" if text and message else message or text), []


def split_images(paths: list[str]) -> tuple[list[str], list[ImagePart]]:
    """`-f` files: images become image parts, anything else is attached as text."""
    texts, images = [], []
    for name in paths:
        image = image_file(Path(name))
        if image is None:
            texts.append(name)
        else:
            images.append(image)
    return texts, images


def session_ref(args: argparse.Namespace) -> str | None:
    return CONTINUE_LATEST if args.continue_session else args.session

