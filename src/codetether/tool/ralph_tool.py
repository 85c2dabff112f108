"""The ralph tool: create a PRD template, start a Ralph run in the background, or show a PRD's status."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["run", "status", "create-prd"]},
        "prd_path": {"type": "string", "description": "PRD file (default prd.json)"},
        "feature": {"type": "string", "description": "Feature name (create-prd)"},
        "project": {"type": "string", "description": "Project name (create-prd)"},
        "max_iterations": {"type": "integer", "minimum": 1, "maximum": 200, "description": "run: default 10"},
        "model": {"type": "string", "description": "run: provider/model (default: the configured default)"},
    },
    "required": ["action"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    from codetether.ralph.prd import PrdError

    path = ctx.resolve(args.get("prd_path") or "prd.json")
    try:
        if args["action"] == "status":
            from codetether.ralph.report import status_dict, status_text

            return ToolResult(status_text(status_dict(path)))
        if args["action"] == "create-prd":
            return await _create(args, ctx, path)
        return await _start(args, ctx, path)
    except PrdError as exc:
        return ToolResult(f"invalid PRD: {exc.message}", success=False)


async def _create(args: dict[str, Any], ctx: ToolContext, path: Any) -> ToolResult:
    from codetether.errors import CodetetherError
    from codetether.ralph.create import template, write_prd

    if not args.get("feature") or not args.get("project"):
        raise ToolError("create-prd needs 'feature' and 'project'")
    if ctx.policy is not None:
        await ctx.policy.check("write", False, {"path": str(path)})
    assert ctx.cwd is not None
    ctx.before_write(path)
    try:
        prd = write_prd(path, template(args["feature"], args["project"], ctx.cwd))
    except CodetetherError as exc:
        raise ToolError(f"{exc.message}; edit it with the prd tool instead") from None
    return ToolResult(f"wrote template {ctx.display(path)} (branch {prd.branch}); replace its story with real "
                      "ones (prd tool, action save) before starting a run")


async def _start(args: dict[str, Any], ctx: ToolContext, path: Any) -> ToolResult:
    from codetether.ralph.loop import RalphLoop, RalphOptions
    from codetether.ralph.prd import Prd
    from codetether.ralph.state import running_pid, state_path

    prd = Prd.load(path)  # a broken PRD is reported now, not in a log nobody reads
    pid = running_pid(path)
    if pid or any(not job.done() for job in _RUNS.get(ctx.session_id, [])):
        raise ToolError(f"a Ralph run is already working on {ctx.display(path)}; use action status")
    if ctx.policy is not None:  # it runs the PRD's checks and an agent's commands: bash rules apply
        await ctx.policy.check("bash", False, {"command": f"codetether ralph run -p {path}"})
    log = state_path(path, ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    options = RalphOptions(path, args.get("model"), int(args.get("max_iterations") or 10),
                           assume_yes=bool(ctx.policy is not None and ctx.policy.assume_yes))
    from codetether.config.load import load

    loop = RalphLoop(ctx.config or load(), options, log=lambda line: _append(log, line))
    job = asyncio.create_task(_logged(loop, log), name=f"ralph:{path}")
    _RUNS.setdefault(ctx.session_id, []).append(job)
    return ToolResult(f"started a Ralph run on {ctx.display(path)} ({len(prd.stories)} stories, "
                      f"{len(prd.passed)} passing); it works in the background of this session, log: {log}. "
                      "Check it with action status.", metadata={"log": str(log)})


# Ralph runs this process started, by session: they belong to the session and end with it (or are waited for).
_RUNS: dict[str, list[asyncio.Task[Any]]] = {}


async def _logged(loop: Any, log: Path) -> None:
    try:
        summary = await loop.run()
        _append(log, f"run ended: {summary.status}")
    except Exception as exc:  # the state file records it for `status`; the session goes on
        _append(log, f"run failed: {getattr(exc, 'message', None) or exc}")


def _append(log: Path, line: str) -> None:
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"[ralph] {line}\n")


async def finish_runs(session_id: str, *, wait: bool) -> None:
    """The session is ending: wait for its Ralph runs (a one-shot `run`) or stop them (everything else)."""
    jobs = [job for job in _RUNS.pop(session_id, []) if not job.done()]
    if not wait:
        for job in jobs:
            job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)


TOOL = Tool(name="ralph", description=description_for(__file__), parameters=PARAMETERS, run=run)
