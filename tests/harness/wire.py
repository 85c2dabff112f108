"""Provider wire formats for the scripted LLM server: script items, OpenAI and Anthropic bodies and SSE streams.

Stdlib only and free of I/O, so the server module stays about transport.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolCall:
    """A scripted tool call: ``arguments`` is a dict (sent as JSON) or a raw string (sent verbatim, may be bad)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    """A successful model turn; ``usage`` is (prompt, completion) tokens, estimated from sizes when None.

    ``finish``: the OpenAI finish_reason to report ("length": cut off at max_tokens; Anthropic's "max_tokens");
    None: tool_calls or stop as the reply has calls or not."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: tuple[int, int] | None = None
    pieces: int = 4  # streamed text arrives in this many pieces
    pace: float = 0.0  # seconds between streamed events (0: as fast as the socket takes them)
    finish: str | None = None

    @property
    def openai_finish(self) -> str:
        return self.finish or ("tool_calls" if self.tool_calls else "stop")

    @property
    def anthropic_stop(self) -> str:
        mapped = {"length": "max_tokens", "stop": "end_turn", "tool_calls": "tool_use"}
        return mapped.get(self.finish or "", self.finish or ("tool_use" if self.tool_calls else "end_turn"))


@dataclass
class HttpError:
    """An error answer: ``body`` dict -> JSON, str -> sent verbatim, None -> the dialect's own error shape."""

    status: int = 500
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stall:
    """Sleep ``seconds`` (cut short when the server stops, leaving the request unanswered), then answer with
    ``then`` or, if None, with the next script item as of wake-up (requests arriving meanwhile go first)."""

    seconds: float
    then: Reply | HttpError | None = None


ScriptItem = Reply | HttpError | Stall


def parse_reply(obj: dict[str, Any]) -> ScriptItem:
    """Build a script item from its JSON form: {"text", "tool_calls", "usage"} | {"error", ...} | {"stall"}."""
    if "stall" in obj:
        then = obj.get("then")
        return Stall(float(obj["stall"]), parse_reply(then) if then else None)  # type: ignore[arg-type]
    if "error" in obj:
        return HttpError(int(obj["error"]), obj.get("body"), dict(obj.get("headers") or {}))
    calls = [ToolCall(c["name"], c.get("arguments", {}), c.get("id")) for c in obj.get("tool_calls") or []]
    usage = obj.get("usage")
    return Reply(obj.get("text", ""), calls, (int(usage[0]), int(usage[1])) if usage else None, obj.get("finish"))


def _pieces(s: str, n: int = 4) -> list[str]:
    """Split ``s`` into up to ``n`` non-empty pieces so that clients really have to reassemble streams."""
    size = max(1, -(-len(s) // n))
    return [s[i : i + size] for i in range(0, len(s), size)]


def _sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n"


_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}


def error_body(dialect: str, status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error")
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def _openai_message(reply: Reply, ids: list[str]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or (None if reply.tool_calls else "")}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for cid, c in zip(ids, reply.tool_calls)
        ]
    return message


def _openai_stream(reply: Reply, base: dict[str, Any], ids: list[str], usage: dict | None) -> Iterator[str]:
    if usage is not None:
        base = {**base, "usage": None}  # OpenAI sends usage: null on every chunk when include_usage is set

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        return _sse({**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]})

    yield chunk({"role": "assistant", "content": None if reply.tool_calls and not reply.text else ""})
    for piece in _pieces(reply.text, reply.pieces):
        yield chunk({"content": piece})
    for i, (cid, call) in enumerate(zip(ids, reply.tool_calls)):
        head = {"index": i, "id": cid, "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield chunk({"tool_calls": [head]})
        for piece in _pieces(call.arguments_json):
            yield chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    yield chunk({}, reply.openai_finish)
    if usage is not None:
        yield _sse({**base, "choices": [], "usage": usage})
    yield _sse("[DONE]")


def _anthropic_input(call: ToolCall) -> Any:
    """Non-streaming ``input``: the dict, a raw string parsed if it is a JSON object, else the raw string."""
    if isinstance(call.arguments, dict):
        return call.arguments
    with contextlib.suppress(ValueError):
        parsed = json.loads(call.arguments)
        if isinstance(parsed, dict):
            return parsed
    return call.arguments


def _anthropic_content(reply: Reply, ids: list[str]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    content += [{"type": "tool_use", "id": cid, "name": c.name, "input": _anthropic_input(c)}
                for cid, c in zip(ids, reply.tool_calls)]
    return content


def _anthropic_stream(reply: Reply, message: dict[str, Any], ids: list[str]) -> Iterator[str]:
    def event(kind: str, **payload: Any) -> str:
        return _sse({"type": kind, **payload}, kind)

    start = {**message, "content": [], "stop_reason": None,
             "usage": {"input_tokens": message["usage"]["input_tokens"], "output_tokens": 1}}
    yield event("message_start", message=start)
    yield event("ping")
    blocks = [({"type": "text", "text": ""}, "text_delta", "text", reply.text)] if reply.text else []
    blocks += [({"type": "tool_use", "id": cid, "name": c.name, "input": {}}, "input_json_delta", "partial_json",
                c.arguments_json) for cid, c in zip(ids, reply.tool_calls)]
    for index, (block, delta_type, key, content) in enumerate(blocks):
        yield event("content_block_start", index=index, content_block=block)
        for piece in _pieces(content):
            yield event("content_block_delta", index=index, delta={"type": delta_type, key: piece})
        yield event("content_block_stop", index=index)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    yield event("message_delta", delta=delta, usage={"output_tokens": message["usage"]["output_tokens"]})
    yield event("message_stop")




def openai_turn(reply: Reply, body: dict[str, Any], turn: int, usage: tuple[int, int]) -> dict | Iterator[str]:
    """A ``chat.completion`` object, or its ``chat.completion.chunk`` SSE stream if the body asks to stream."""
    ids = [c.id or f"call_{turn}_{i}" for i, c in enumerate(reply.tool_calls)]
    prompt, completion = usage
    usage_obj = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    base = {"id": f"chatcmpl-{turn}", "created": int(time.time()), "model": body.get("model") or "scripted-model",
            "system_fingerprint": None}
    if body.get("stream"):
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        chunk_base = {**base, "object": "chat.completion.chunk"}
        return _openai_stream(reply, chunk_base, ids, usage_obj if include else None)
    choice = {"index": 0, "message": _openai_message(reply, ids), "logprobs": None,
              "finish_reason": reply.openai_finish}
    return {**base, "object": "chat.completion", "choices": [choice], "usage": usage_obj}


def anthropic_turn(reply: Reply, body: dict[str, Any], turn: int, usage: tuple[int, int]) -> dict | Iterator[str]:
    """A Messages API ``message`` object, or its event stream if the body asks to stream."""
    ids = [c.id or f"toolu_{turn}_{i}" for i, c in enumerate(reply.tool_calls)]
    message = {"id": f"msg_{turn}", "type": "message", "role": "assistant",
               "model": body.get("model") or "scripted-model", "content": _anthropic_content(reply, ids),
               "stop_reason": reply.anthropic_stop, "stop_sequence": None,
               "usage": {"input_tokens": usage[0], "output_tokens": usage[1]}}
    return _anthropic_stream(reply, message, ids) if body.get("stream") else message
