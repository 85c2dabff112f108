"""`codetether rlm`: answer a question over files or text of any size with the recursive (RLM) loop."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from codetether.errors import CodetetherError, UsageError

if TYPE_CHECKING:
    from codetether.rlm.loop import RlmResult

EXIT_CODES = {"final": 0, "max_iterations": 3}


def execute(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from codetether.config.load import load
    from codetether.provider.registry import resolve_model
    from codetether.rlm.context import RlmContext
    from codetether.rlm.loop import RlmModel, analyze

    _question_after_files(args)
    question = " ".join(args.query).strip()
    try:
        if not question:
            raise UsageError("the question is empty", 'Example: codetether rlm "summarize the errors" -f app.log')
        text, sources = _content(args)
        ctx = RlmContext.build(text, args.content_type, sources)
        config = load()
        resolved = await resolve_model(args.model, config)
    except CodetetherError as exc:
        if args.json:
            print(json.dumps({"query": question, "answer": "", "exit_reason": "error", "error": exc.message}))
        raise
    model = RlmModel(resolved.provider, resolved.model, resolved.context_window)
    if not args.json:
        print(f"RLM: {ctx.describe()}; model {resolved.id}", file=sys.stderr)
    on_step = None if args.json else _progress
    try:
        result = await analyze(question, ctx, model, max_iterations=args.max_iterations, on_step=on_step)
    except CodetetherError as exc:
        if args.json:
            print(json.dumps({"query": question, "answer": "", "exit_reason": "error", "error": exc.message}))
        raise
    finally:
        await resolved.provider.aclose()
    if args.json:
        print(json.dumps({"query": question, "model": resolved.id, **result.to_dict()}, indent=2,
                         ensure_ascii=False))
    else:
        _print_text(question, result)
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
    return EXIT_CODES.get(result.exit_reason, 1)


def _question_after_files(args: argparse.Namespace) -> None:
    """`rlm -f a.py b.py "what calls main?"`: -f takes every word after it, so a last one that names no file
    (and matches no glob) is the question."""
    import glob

    if args.query or not args.file:
        return
    last = args.file[-1]
    if not Path(last).exists() and not glob.glob(last, recursive=True) and (" " in last.strip() or "?" in last):
        args.query, args.file = [last], args.file[:-1]


def _content(args: argparse.Namespace) -> tuple[str, list[str]]:
    from codetether.rlm.context import expand_paths, read_files

    if args.file and args.content is not None:
        raise UsageError("give either --file or --content, not both")
    if args.file:
        cwd = Path.cwd()
        return read_files(expand_paths(args.file, cwd), cwd)
    if args.content is None:
        raise UsageError("no context to analyse", "Pass -f FILE (globs allowed), --content TEXT, or --content - "
                                                  "to read standard input.")
    text = sys.stdin.read() if args.content == "-" else args.content
    if not text.strip():
        raise UsageError("the context is empty" + (" (nothing on standard input)" if args.content == "-" else ""))
    return text, ["stdin"] if args.content == "-" else []


def _progress(iteration: int, text: str) -> None:
    commands = [line.strip() for line in text.splitlines() if "(" in line and not line.startswith("```")]
    shown = "; ".join(commands[:3])[:160] or text.strip()[:160]
    print(f"→ {iteration}: {shown}", file=sys.stderr, flush=True)


def _print_text(question: str, result: RlmResult) -> None:
    print("## RLM Analysis Result\n")
    print(f"**Query:** {question}\n")
    print(f"**Answer:** {result.answer or '(none)'}\n")
    print(f"*Iterations: {result.iterations} | Sub-queries: {len(result.sub_queries)} | "
          f"Time: {result.elapsed_ms}ms | Tokens: {result.usage.prompt_tokens} in, "
          f"{result.usage.completion_tokens} out*")
    for n, sub in enumerate(result.sub_queries, 1):
        print(f"  {n}. {sub.query[:100]} ({sub.context_chars:,} chars, {sub.tokens_used} tokens)")
