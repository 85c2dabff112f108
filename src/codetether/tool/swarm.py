"""The swarm tool: the build agent starts a swarm of parallel sub-agents on the current project."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "task": {"type": "string", "description": "The whole task for the swarm"},
        "strategy": {"type": "string", "enum": ["auto", "domain", "data", "stage", "none"]},
        "max_subagents": {"type": "integer", "description": "At most this many subtasks (1-100)"},
        "model": {"type": "string", "description": "provider/model for the swarm (default: the configured one)"},
    },
    "required": ["task"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    from codetether.config.load import load
    from codetether.config.swarm import swarm_config
    from codetether.errors import CodetetherError
    from codetether.swarm.result import text_summary
    from codetether.swarm.runner import run_swarm

    if ctx.policy is not None:
        await ctx.policy.check("edit", False, args)  # the swarm's merges change files: the edit rule applies
    config = ctx.config or load()
    try:
        limit = args.get("max_subagents")
        cfg = swarm_config(config.extra, str(config.path or "config")).with_overrides(max_subagents=limit)
        result = await run_swarm(config, cfg, args["task"], strategy=args.get("strategy") or "auto", cwd=ctx.root,
                                 model_id=args.get("model"))
    except CodetetherError as exc:
        raise ToolError(exc.message) from None
    return ToolResult(text_summary(result), success=result.success,
                      metadata={"subtasks": len(result.subtask_results), "error": result.error})


TOOL = Tool(name="swarm", description=description_for(__file__), parameters=PARAMETERS, run=run)
