"""The Anthropic Messages wire dialect (Anthropic direct, Azure-hosted Anthropic, MiniMax)."""

from __future__ import annotations

import json
from typing import Any

from codetether.provider.catalog import ProviderSpec
from codetether.provider.dialect import Dialect
from codetether.provider.errors import ProviderProtocolError, StreamError
from codetether.provider.model import (
    CompletionRequest,
    CompletionResponse,
    ImagePart,
    Message,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from codetether.provider.turns import alternating_turns, open_cut_off_call, tools_as_text
from codetether.secrets.model import ProviderSecret

DEFAULT_MAX_TOKENS = 8192
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
           "refusal": "content_filter"}


def endpoint(base_url: str, secret: ProviderSecret | None = None) -> str:
    base = base_url.rstrip("/")
    return base + ("/messages" if base.endswith("/v1") else "/v1/messages")


def headers(secret: ProviderSecret, base_url: str = "") -> dict[str, str]:
    out = {"anthropic-version": "2023-06-01"}
    if secret.api_key:
        out["x-api-key"] = secret.api_key
    return out


def build_body(request: CompletionRequest, spec: ProviderSpec) -> dict[str, Any]:
    system = "\n\n".join(m.text_content for m in request.messages if m.role == "system")
    history = [m for m in request.messages if m.role != "system"]
    if not request.tools:
        history = [tools_as_text(m) for m in history]
    body: dict[str, Any] = {"model": request.model, "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
                            "messages": alternating_turns(history, _block)}
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.parameters}
                         for t in request.tools]
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.stream:
        body["stream"] = True
    return body


def _block(part: Any) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        # Anthropic rejects text blocks that are empty or only whitespace.
        return {"type": "text", "text": part.text} if part.text.strip() else None
    if isinstance(part, ToolCallPart):
        try:
            args = json.loads(part.arguments or "{}")
        except ValueError:
            args = {}
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": args if isinstance(args, dict) else {}}
    if isinstance(part, ToolResultPart):
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": part.tool_call_id, "content": part.content}
        if part.is_error:
            block["is_error"] = True
        return block
    if isinstance(part, ThinkingPart) and part.signature:
        return {"type": "thinking", "thinking": part.text, "signature": part.signature}
    if isinstance(part, ImagePart) and part.url.startswith("data:"):
        header, _, data = part.url.partition(",")
        media = header[5:].split(";")[0]
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return None


def parse_response(data: dict[str, Any]) -> CompletionResponse:
    if data.get("type") == "error":
        raise ProviderProtocolError(f"answered with an error: {data.get('error')}")
    parts: list[Any] = []
    for block in data.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(block.get("text", "")))
        elif kind == "thinking":
            parts.append(ThinkingPart(block.get("thinking", ""), block.get("signature")))
        elif kind == "tool_use":
            parts.append(ToolCallPart(block.get("id", ""), block.get("name", ""), json.dumps(block.get("input") or {})))
    finish = _FINISH.get(data.get("stop_reason") or "end_turn", "stop")
    parts = open_cut_off_call(parts, finish)
    return CompletionResponse(Message("assistant", parts), _usage(data.get("usage")), finish)  # type: ignore[arg-type]


def _usage(raw: dict[str, Any] | None, base: Usage | None = None) -> Usage:
    raw = raw or {}
    usage = base or Usage()
    usage.prompt_tokens = raw.get("input_tokens", usage.prompt_tokens) or usage.prompt_tokens
    usage.completion_tokens = raw.get("output_tokens", usage.completion_tokens) or usage.completion_tokens
    usage.cache_read_tokens = raw.get("cache_read_input_tokens") or usage.cache_read_tokens
    usage.cache_write_tokens = raw.get("cache_creation_input_tokens") or usage.cache_write_tokens
    return usage


class StreamAssembler:
    """Accumulates message_start/content_block_*/message_delta events into one response."""

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, Any]] = {}
        self.usage = Usage()
        self.finish = "stop"
        self.done = False

    def feed(self, event: str, data: str) -> list[TextDelta | ThinkingDelta]:
        try:
            payload = json.loads(data)
        except ValueError:
            raise ProviderProtocolError(f"sent a stream event that is not JSON: {data[:200]}") from None
        kind = payload.get("type", event)
        if kind == "error":
            raise StreamError(payload.get("error"))
        if kind == "message_start":
            self.usage = _usage((payload.get("message") or {}).get("usage"))
        elif kind == "content_block_start":
            block = dict(payload.get("content_block") or {})
            block.setdefault("text", "")
            block["partial_json"] = ""
            self.blocks[payload.get("index", len(self.blocks))] = block
        elif kind == "content_block_delta":
            return self._delta(payload.get("index", 0), payload.get("delta") or {})
        elif kind == "message_delta":
            self.finish = _FINISH.get((payload.get("delta") or {}).get("stop_reason") or "end_turn", "stop")
            self.usage = _usage(payload.get("usage"), self.usage)
        elif kind == "message_stop":
            self.done = True
        return []

    def _delta(self, index: int, delta: dict[str, Any]) -> list[TextDelta | ThinkingDelta]:
        block = self.blocks.setdefault(index, {"type": "text", "text": "", "partial_json": ""})
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] += delta.get("text", "")
            return [TextDelta(delta.get("text", ""))]
        if kind == "input_json_delta":
            block["partial_json"] += delta.get("partial_json", "")
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
            return [ThinkingDelta(delta.get("thinking", ""))]
        elif kind == "signature_delta":
            block["signature"] = delta.get("signature")
        return []

    def result(self) -> CompletionResponse:
        parts: list[Any] = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block.get("type") == "text" and block["text"]:
                parts.append(TextPart(block["text"]))
            elif block.get("type") == "thinking":
                parts.append(ThinkingPart(block.get("thinking", ""), block.get("signature")))
            elif block.get("type") == "tool_use":
                # Keep the raw JSON text: if the model produced invalid JSON, the loop reports it.
                raw = block["partial_json"] or json.dumps(block.get("input") or {})
                parts.append(ToolCallPart(block.get("id", ""), block.get("name", ""), raw))
        return CompletionResponse(Message("assistant", parts), self.usage, self.finish)  # type: ignore[arg-type]


DIALECT = Dialect("anthropic", endpoint, headers, build_body, parse_response, StreamAssembler)
