"""The swarm_share tool: a swarm sub-agent publishes and reads named results of the swarm's result store."""

from __future__ import annotations

import json
from typing import Any

from codetether.swarm.store import CURRENT, SharedResult
from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["publish", "get", "list", "query_tags", "query_prefix"]},
        "key": {"type": "string", "description": "Result key (publish, get)"},
        "value": {"description": "The value to publish (any JSON value)"},
        "tags": {"type": "array", "items": {"type": "string"}, "description": "Tags (publish, query_tags)"},
        "prefix": {"type": "string", "description": "Key prefix (query_prefix)"},
    },
    "required": ["action"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    binding = CURRENT.get()
    if binding is None:
        raise ToolError("swarm_share works only inside a swarm sub-agent")
    store, action = binding.store, args["action"]
    if action == "publish":
        key = _need(args, "key")
        if "value" not in args:
            raise ToolError("publish needs 'value'")
        store.publish(key, binding.producer_id, args["value"], args.get("tags"))
        return ToolResult(f"Published '{key}'", metadata={"key": key})
    if action == "get":
        found = store.get(_need(args, "key"))
        if found is None:
            keys = ", ".join(r.key for r in store.list()) or "none yet"
            return ToolResult(f"No result under '{args['key']}'. Published keys: {keys}", success=False)
        return ToolResult(_show([found]))
    if action == "list":
        return ToolResult(_show(store.list()))
    if action == "query_tags":
        tags = args.get("tags")
        if not tags:
            raise ToolError("query_tags needs a non-empty 'tags' array")
        return ToolResult(_show(store.query_tags(tags)))
    return ToolResult(_show(store.query_prefix(_need(args, "prefix"))))


def _need(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise ToolError(f"{args['action']} needs a non-empty string '{name}'")
    return value


def _show(results: list[SharedResult]) -> str:
    if not results:
        return "No shared results match."
    return "\n".join(json.dumps({"key": r.key, "producer": r.producer_id, "tags": r.tags, "value": r.value},
                                ensure_ascii=False) for r in results)


TOOL = Tool(name="swarm_share", description=description_for(__file__), parameters=PARAMETERS, run=run,
            read_only=False)
