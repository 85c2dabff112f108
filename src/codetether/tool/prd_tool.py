"""The prd tool: analyze, generate, validate and save a Ralph PRD through the same code as `codetether ralph`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

_STR, _INT = {"type": "string"}, {"type": "integer", "minimum": 1}
_LIST = {"type": "array", "items": _STR}
_STORY = {"type": "object", "required": ["id", "title", "description"],
          "properties": {"id": _STR, "title": _STR, "description": _STR, "acceptance_criteria": _LIST,
                         "priority": _INT, "complexity": _INT, "depends_on": _LIST}}

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["analyze", "generate", "validate", "save"]},
        "task_description": _STR,
        "project": _STR,
        "feature": _STR,
        "stories": {"type": "array", "items": _STORY},
        "quality_checks": {"type": "object", "description": "typecheck, lint, test, build: shell commands"},
        "prd_path": {"type": "string", "description": "default prd.json"},
        "prd_json": {"type": "string", "description": "a whole PRD as JSON text"},
    },
    "required": ["action"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    from codetether.ralph.prd import Prd, PrdError

    action = args["action"]
    path = ctx.resolve(args.get("prd_path") or "prd.json")
    try:
        if action == "analyze" and not args.get("prd_json") and not path.exists():
            return ToolResult(_guide(args.get("task_description")))
        if action in ("analyze", "validate"):
            prd = _load(args, path, ctx)
            if action == "validate":
                return ToolResult(f"valid PRD: {len(prd.stories)} stories, {len(prd.passed)} passing, branch "
                                  f"{prd.branch}, checks: {', '.join(n for n, _ in prd.quality_checks) or 'none'}")
            return ToolResult(_analysis(prd))
        prd = _load(args, path, ctx) if args.get("prd_json") else Prd(_built(args, ctx), "the generated PRD")
    except PrdError as exc:
        return ToolResult(f"invalid PRD: {exc.message}", success=False, metadata={"valid": False})
    if action == "generate":
        return ToolResult(prd.to_json())
    if ctx.policy is not None:
        await ctx.policy.check("write", False, {"path": str(path)})  # saving a PRD is an edit like any other
    ctx.before_write(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prd.save(path)
    return ToolResult(f"saved {ctx.display(path)}: {len(prd.stories)} stories. Start it with the ralph tool "
                      "(action run) or `codetether ralph run`.", metadata={"path": ctx.display(path)})


def _load(args: dict[str, Any], path: Path, ctx: ToolContext) -> Any:
    from codetether.ralph.prd import Prd

    if args.get("prd_json"):
        return Prd.parse(args["prd_json"], "prd_json")
    if not path.is_file():
        raise ToolError(f"no PRD at {ctx.display(path)}; give prd_path, prd_json, or use action generate")
    return Prd.load(path)


def _built(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    from codetether.ralph.detect import detect_checks
    from codetether.ralph.prd import default_branch

    missing = [k for k in ("project", "feature", "stories") if not args.get(k)]
    if missing:
        raise ToolError(f"{args['action']} needs {', '.join(missing)} (or a whole PRD in prd_json)")
    stories = [{"acceptance_criteria": [], "priority": 1, "complexity": 3, "depends_on": [], **s, "passes": False}
               for s in args["stories"]]
    assert ctx.cwd is not None
    return {"project": args["project"], "feature": args["feature"], "branch": default_branch(args["feature"]),
            "version": "1.0", "quality_checks": args.get("quality_checks") or detect_checks(ctx.cwd)[0],
            "user_stories": stories}


def _analysis(prd: Any) -> str:
    upcoming = prd.next_story()
    order, done = [], set()
    remaining = list(prd.stories)
    while remaining:  # the order Ralph would take if every story passed first time
        ready = sorted((s for s in remaining if all(d in done for d in s.depends_on)),
                       key=lambda s: (s.priority, s.complexity))
        if not ready:
            break
        order.append(ready[0].id)
        done.add(ready[0].id)
        remaining.remove(ready[0])
    checks = "\n".join(f"- {n}: {c}" for n, c in prd.quality_checks) or "- none (stories pass on STORY_COMPLETE)"
    return (f"{prd.summary()}\n\nQuality checks, in order:\n{checks}\n\nNext story: "
            f"{upcoming.id if upcoming else 'none, every story passes'}\nExpected order: {' -> '.join(order)}")


def _guide(description: str | None) -> str:
    about = f"Task: {description}\n\n" if description else ""
    return (f"{about}No PRD yet. Split the task into small user stories, each doable and testable in one focused "
            "session, with ids US-001, US-002, ...; priority 1 is highest; depends_on lists ids that must pass "
            "first (no cycles); acceptance_criteria are checkable statements. Then call this tool with action "
            "generate (to review) or save, giving project, feature, stories and optionally quality_checks "
            "(typecheck, lint, test, build shell commands).\nExample story: " + json.dumps(
                {"id": "US-001", "title": "Parse config file", "description": "Load settings from config.toml",
                 "acceptance_criteria": ["Missing file gives defaults", "Bad TOML names the line"],
                 "priority": 1, "complexity": 2, "depends_on": []}))


TOOL = Tool(name="prd", description=description_for(__file__), parameters=PARAMETERS, run=run)
