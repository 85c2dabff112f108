"""The a2a tool: read another A2A agent's card, or hand it a task and wait for its answer."""

from __future__ import annotations

from typing import Any

from codetether.errors import CodetetherError
from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

SEND_TIMEOUT_SECS = 600.0

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["card", "send"],
                   "description": "card: what the agent is and can do; send: give it a task and wait"},
        "url": {"type": "string", "description": "The agent's base URL, e.g. http://127.0.0.1:4096"},
        "message": {"type": "string", "description": "The task for the remote agent (send only)"},
    },
    "required": ["action", "url"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    # The a2a-sdk is heavy: imported when the tool is used, not when the build agent starts.
    from codetether.a2a import client
    from codetether.sandbox.egress import guarded_transport
    from codetether.tool.webfetch import must_stay_public

    url = args["url"].strip()
    token = client.platform_token_for(url)  # the user's platform token, never to a URL of the model's choosing
    transport = guarded_transport() if await must_stay_public(ctx, "a2a", url) else None
    try:
        if args["action"] == "card":
            return _card(await client.get_card(url, token, transport=transport))
        message = str(args.get("message") or "").strip()
        if not message:
            raise ToolError("'message' is required for action 'send': give the remote agent its task")
        result = await client.send(url, message, token=token, timeout=SEND_TIMEOUT_SECS, transport=transport)
    except CodetetherError as exc:
        raise ToolError(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
    if isinstance(result, client.Message):
        return ToolResult(client.answer_text(result) or "(empty answer)", metadata={"url": url})
    state = client.state_name(result)
    files = client.changed_files(result)
    lines = [f"remote task {result.id}: {state}"]
    if files:
        lines.append("files changed by the remote agent: " + ", ".join(files))
    answer = client.answer_text(result)
    lines += ["", answer or "(no answer)"]
    if state != "completed" and result.status.HasField("message"):
        note = client.get_message_text(result.status.message)
        if note and note != answer:
            lines.append(note)
    return ToolResult("\n".join(lines), success=state == "completed",
                      metadata={"url": url, "task_id": result.id, "state": state, "files": files})


def _card(card: Any) -> ToolResult:
    skills = [f"- {s.id}: {s.name}: {s.description}" for s in card.skills]
    lines = [f"{card.name} {card.version}: {card.description}",
             f"streaming: {'yes' if card.capabilities.streaming else 'no'}", "skills:", *skills]
    return ToolResult("\n".join(lines), metadata={"name": card.name, "skills": [s.id for s in card.skills]})


TOOL = Tool("a2a", description_for(__file__), PARAMETERS, run)
