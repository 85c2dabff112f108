"""A platform task whose agent_type is rlm: the recursive (RLM) loop answers the prompt over the workspace files
metadata.paths names (globs, inside the workspace) or over metadata.content, streamed as `[rlm] …` lines."""

from __future__ import annotations

from collections.abc import Callable

from codetether.a2a.worker.outcome import Outcome, record_exchange
from codetether.a2a.worker.tasks import TaskSpec
from codetether.config.load import Config
from codetether.errors import CodetetherError

MAX_BYTES = 20 * 1024 * 1024  # the spec's cap on what an rlm call reads from paths


async def run_rlm_task(task: TaskSpec, config: Config, put: Callable[[str], None]) -> Outcome:
    from codetether.provider.registry import resolve_model
    from codetether.rlm.context import RlmContext, expand_paths, read_files
    from codetether.rlm.loop import analyze
    from codetether.rlm.model import RlmModel

    opts = task.rlm
    if opts.paths:
        files = expand_paths(opts.paths, task.workspace)
        outside = [str(f) for f in files if task.workspace not in f.resolve().parents]
        if outside:
            raise CodetetherError(f"metadata.paths leads outside the workspace {task.workspace}: {outside[0]}")
        text, sources = read_files(files, task.workspace, MAX_BYTES)
    elif opts.content:
        text, sources = opts.content, ["metadata.content"]
    else:
        raise CodetetherError("an rlm task needs metadata.paths (files or globs in the workspace) or "
                              "metadata.content (the text) to analyse")
    ctx = RlmContext.build(text, "auto", sources)
    resolved = await resolve_model(task.model, config)
    put(f"[rlm] {ctx.describe()}; model {resolved.id}")
    try:
        result = await analyze(task.prompt, ctx, RlmModel(resolved.provider, resolved.model,
                                                          resolved.context_window),
                               on_step=lambda n, reply: put(f"[rlm] iteration {n}: {' '.join(reply.split())[:200]}"))
    finally:
        await resolved.provider.aclose()
    put(f"[rlm] {result.exit_reason} after {result.iterations} iterations, {len(result.sub_queries)} sub-queries")
    answer = result.answer or ""
    session_id = record_exchange(task, "rlm", answer)
    if result.exit_reason == "final" and not result.error:
        return Outcome("completed", answer, None, session_id)
    return Outcome("failed", answer or None, f"Error: {result.error or 'no FINAL answer within the iterations'}",
                   session_id)
