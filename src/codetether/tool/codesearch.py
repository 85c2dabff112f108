"""The codesearch tool: find functions and classes by meaning (BM25 plus local embeddings when installed)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

DEFAULT_LIMIT = 10
SNIPPET_LINES = 4

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "What the code does, in words, e.g. 'retry failed HTTP requests'"},
        "path": {"type": "string", "description": "Only results under this file or directory (default: everywhere)"},
        "file_pattern": {"type": "string", "description": "Only files matching this glob, e.g. *.py or src/**/*.ts"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50, "description": "Max results (default 10)"},
    },
    "required": ["query"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    query = args["query"].strip()
    if not query:
        raise ToolError("'query' is empty; describe the code you are looking for")
    limit = int(args.get("limit") or DEFAULT_LIMIT)
    target = ctx.resolve(args.get("path") or ".")
    if not target.exists():
        raise ToolError(f"'path' {ctx.display(target)!r} does not exist")
    # The whole workspace is indexed once and 'path' filters results; a path outside it gets its own index.
    inside = target == ctx.root or ctx.root in target.parents
    root = ctx.root if inside else (target if target.is_dir() else target.parent)
    prefix = "" if target == root else target.relative_to(root).as_posix()
    pattern = None
    if args.get("file_pattern"):
        from codetether.tool.support.ignore import compile_name_glob

        pattern = compile_name_glob(args["file_pattern"])
    return await asyncio.to_thread(_search, ctx, root, query, limit, prefix, pattern)


def _search(ctx: ToolContext, root: Path, query: str, limit: int, prefix: str, pattern: Any) -> ToolResult:
    from codetether.codesearch.background import fill_in_background
    from codetether.codesearch.index import CodeIndex

    index = CodeIndex.open(root)
    stats = index.refresh()
    hits = index.search(query, limit, prefix, pattern)
    if stats.pending_chunks and index.model:
        fill_in_background(root)  # this answer uses keywords where vectors are missing; later ones need not
    ranking = _ranking(index, stats.chunks, stats.pending_chunks)
    notes = [f"[ranking: {ranking}]"]
    if stats.capped:
        notes.append("[index stopped at 10,000 files; results are partial. Narrow 'path']")
    if not hits:
        where = f" under {prefix!r}" if prefix else ""
        return ToolResult("\n".join([f"no code found for {query!r}{where}", *notes]),
                          metadata={"matches": 0, "files": stats.files, "pending_chunks": stats.pending_chunks})
    blocks = []
    for hit in hits:
        display = ctx.display(root / hit.path)
        name = f" {hit.name}" if hit.name else ""
        blocks.append(f"{display}:{hit.start}-{hit.end} {hit.kind}{name} (score {hit.score:.4f})\n"
                      + _snippet(root, root / hit.path, hit.start, hit.end))
    return ToolResult("\n\n".join(blocks + notes), metadata={
        "matches": len(hits), "files": stats.files, "chunks": stats.chunks, "reindexed_files": stats.changed_files,
        "embedded_chunks": stats.embedded_chunks, "reused_chunks": stats.reused_chunks,
        "pending_chunks": stats.pending_chunks, "semantic": index.model is not None,
        "ranking": "bm25" if index.model is None else
        ("bm25" if stats.pending_chunks == stats.chunks else
         "bm25+embeddings" if not stats.pending_chunks else "bm25+partial-embeddings") + "+rerank"})


def _ranking(index: Any, chunks: int, pending: int) -> str:
    """Which ranking this answer used, in words for the model."""
    if index.model is None:
        return f"keywords only (BM25); {index.dense_note}"
    from codetether.codesearch.rerank import DEPTH

    reranked = f"the best {DEPTH} re-ranked by the transformer model"
    if not pending:
        return f"keywords (BM25) + meaning (embeddings), {reranked}"
    if pending == chunks:
        return (f"keywords (BM25), {reranked}, for now: the embedding index is still being built in the "
                "background; search again shortly for ranking by meaning over every chunk")
    return (f"keywords (BM25) + meaning (embeddings) for {chunks - pending:,} of {chunks:,} chunks (the rest are "
            f"still being embedded in the background), {reranked}")


def _snippet(root: Path, path: Path, start: int, end: int) -> str:
    """The hit's lines, opened beneath `root` (a directory swapped for a symlink since indexing leads nowhere)."""
    from codetether.sandbox import beneath

    try:
        with os.fdopen(beneath.open_beneath(root, path, os.O_RDONLY | os.O_NOFOLLOW), encoding="utf-8",
                       errors="replace") as handle:
            lines = handle.read().splitlines()[start - 1:min(end, start - 1 + SNIPPET_LINES)]
    except OSError:
        return "    (file unreadable)"
    shown = ["    " + (line if len(line) <= 160 else line[:160] + "…") for line in lines]
    if end - start + 1 > SNIPPET_LINES:
        shown.append("    …")
    return "\n".join(shown)


TOOL = Tool(name="codesearch", description=description_for(__file__), parameters=PARAMETERS, run=run,
            read_only=True)
