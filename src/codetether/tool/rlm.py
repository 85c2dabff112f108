"""The rlm tool: recursive language-model analysis of files or text larger than the window, for the build agent."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

from codetether.errors import CodetetherError
from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

MAX_BYTES = 20 * 1024 * 1024  # spec §5.3: path reads capped at 20 MiB in total
MAX_ITERATIONS = 15
SUMMARY_QUESTION = ("Summarize this content: its purpose and main points, keeping names, numbers, paths, URLs and "
                    "error messages exact.")
SEARCH_QUESTION = ("Find every place where the content mentions: {query}. Use grep first. Answer with the line "
                   "numbers and the lines (or a count and the first lines if there are many).")

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["analyze", "summarize", "search"],
                   "description": "analyze: answer query; summarize: summarise (query focuses it); search: find query"},
        "query": {"type": "string", "description": "The question, focus or search target"},
        "paths": {"type": "array", "items": {"type": "string"},
                  "description": "Files or globs (src/**/*.py) in the workspace; at most 20 MiB in total"},
        "content": {"type": "string", "description": "The text to analyse, instead of paths"},
    },
    "required": ["action"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    from codetether.rlm.context import RlmContext
    from codetether.rlm.loop import analyze

    if ctx.llm is None:
        raise ToolError("rlm needs the agent's model and is only available inside an agent run")
    question = _question(args["action"], (args.get("query") or "").strip())
    text, sources = _text(args, ctx)
    try:
        result = await analyze(question, RlmContext.build(text, sources=sources), ctx.llm,
                               max_iterations=MAX_ITERATIONS)
    except CodetetherError as exc:
        raise ToolError(f"the analysis failed: {exc.message}") from None
    usage = result.usage
    footer = (f"\n\n[rlm: {result.iterations} iterations, {len(result.sub_queries)} sub-queries, "
              f"{usage.prompt_tokens} tokens in, {usage.completion_tokens} out, over ~{result.context_tokens:,} "
              f"tokens of {result.content_type}]")
    metadata = {"iterations": result.iterations, "sub_queries": len(result.sub_queries),
                "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens},
                "content_type": result.content_type}
    if not result.ok:
        return ToolResult(f"rlm stopped without an answer: {result.error}{footer}", success=False, metadata=metadata)
    return ToolResult(result.answer + footer, metadata=metadata)


def _question(action: str, query: str) -> str:
    if action == "summarize":
        return SUMMARY_QUESTION + (f" Focus on: {query}" if query else "")
    if not query:
        raise ToolError(f"'query' is required for action '{action}'")
    return SEARCH_QUESTION.format(query=query) if action == "search" else query


def _text(args: dict[str, Any], ctx: ToolContext) -> tuple[str, list[str]]:
    from codetether.rlm.context import read_files

    paths, content = args.get("paths") or [], args.get("content")
    if paths and content:
        raise ToolError("give either 'paths' or 'content', not both")
    if content:
        return content, []
    if not paths:
        raise ToolError("give the text to analyse as 'paths' (files or globs) or 'content'")
    files = _expand(paths, ctx)
    total = sum(f.stat().st_size for f in files)
    if total > MAX_BYTES:
        raise ToolError(f"'paths' add up to {total / 1048576:.1f} MiB; at most 20 MiB can be read. Pass fewer files")
    try:
        return read_files(files, ctx.root, MAX_BYTES)
    except CodetetherError as exc:
        raise ToolError(exc.message) from None


def _expand(paths: list[str], ctx: ToolContext) -> list[Path]:
    found: list[Path] = []
    for pattern in paths:
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(os.path.join(ctx.cwd or ctx.root, pattern), recursive=True))
            files = [ctx.resolve(m) for m in matches if os.path.isfile(m)]
            if not files:
                raise ToolError(f"'paths': {pattern!r} matches no files")
            found.extend(files)
            continue
        path = ctx.resolve(pattern)
        if not path.is_file():
            raise ToolError(f"'paths': {pattern!r} is not a file" + (" (a directory: use a glob such as "
                                                                      f"'{pattern.rstrip('/')}/**/*')" if
                                                                      path.is_dir() else ""))
        found.append(path)
    return list(dict.fromkeys(found))


TOOL = Tool(name="rlm", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
