"""The OpenAI Responses API wire dialect (POST /responses, JSON or SSE of response.* events)."""

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
from codetether.secrets.model import ProviderSecret


def endpoint(base_url: str, secret: ProviderSecret | None = None) -> str:
    return base_url.rstrip("/") + "/responses"


def headers(secret: ProviderSecret, base_url: str = "") -> dict[str, str]:
    out = {"Authorization": f"Bearer {secret.api_key}"} if secret.api_key else {}
    if secret.organization:
        out["OpenAI-Organization"] = secret.organization
    return out


def build_body(request: CompletionRequest, spec: ProviderSpec) -> dict[str, Any]:
    instructions = "\n\n".join(m.text_content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {"model": request.model, "input": _input(request.messages), "store": False}
    if instructions:
        body["instructions"] = instructions
    if request.tools:
        body["tools"] = [{"type": "function", "name": t.name, "description": t.description,
                          "parameters": t.parameters} for t in request.tools]
        body["tool_choice"] = "auto"
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.max_tokens:
        body["max_output_tokens"] = request.max_tokens
    if request.stream:
        body["stream"] = True
    return body


def _input(messages: list[Message]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            continue
        content: list[dict[str, Any]] = []
        kind = "output_text" if msg.role == "assistant" else "input_text"
        for part in msg.parts:
            if isinstance(part, TextPart) and part.text:
                content.append({"type": kind, "text": part.text})
            elif isinstance(part, ImagePart) and msg.role == "user":
                content.append({"type": "input_image", "image_url": part.url})
        if content:
            items.append({"role": "assistant" if msg.role == "assistant" else "user", "content": content})
        for part in msg.parts:
            if isinstance(part, ToolCallPart):
                items.append({"type": "function_call", "call_id": part.id, "name": part.name,
                              "arguments": part.arguments or "{}"})
            elif isinstance(part, ToolResultPart):
                items.append({"type": "function_call_output", "call_id": part.tool_call_id, "output": part.content})
    return items


def _usage(raw: dict[str, Any] | None) -> Usage:
    raw = raw or {}
    cached = (raw.get("input_tokens_details") or {}).get("cached_tokens") or 0
    return Usage(raw.get("input_tokens") or 0, raw.get("output_tokens") or 0, cache_read_tokens=cached)


def _parts(output: list[dict[str, Any]]) -> list[Any]:
    parts: list[Any] = []
    for item in output:
        kind = item.get("type")
        if kind == "message":
            text = "".join(c.get("text", "") for c in item.get("content") or [] if c.get("type") == "output_text")
            if text:
                parts.append(TextPart(text))
        elif kind == "reasoning":
            text = "".join(s.get("text", "") for s in item.get("summary") or [])
            if text:
                parts.append(ThinkingPart(text))
        elif kind == "function_call":
            parts.append(ToolCallPart(item.get("call_id") or item.get("id") or f"call_{len(parts)}",
                                      item.get("name", ""), item.get("arguments") or "{}"))
    return parts


def parse_response(data: dict[str, Any]) -> CompletionResponse:
    if data.get("error"):
        raise ProviderProtocolError(f"answered with an error: {json.dumps(data['error'])[:300]}")
    if not isinstance(data.get("output"), list):
        raise ProviderProtocolError(f"sent a response without output: {json.dumps(data)[:300]}")
    parts = _parts(data["output"])
    return CompletionResponse(Message("assistant", parts), _usage(data.get("usage")), _finish(data, parts))


def _finish(data: dict[str, Any], parts: list[Any]) -> Any:
    if data.get("status") == "incomplete":
        reason = (data.get("incomplete_details") or {}).get("reason")
        return "content_filter" if reason == "content_filter" else "length"
    return "tool_calls" if any(isinstance(p, ToolCallPart) for p in parts) else "stop"


class StreamAssembler:
    """Collects output items from response.* events; response.completed carries the final usage."""

    def __init__(self) -> None:
        self.items: dict[int, dict[str, Any]] = {}
        self.final: dict[str, Any] | None = None
        self.done = False

    def feed(self, event: str, data: str) -> list[TextDelta | ThinkingDelta]:
        try:
            payload = json.loads(data)
        except ValueError:
            raise ProviderProtocolError(f"sent a stream event that is not JSON: {data[:200]}") from None
        kind = payload.get("type", event)
        index = payload.get("output_index", 0)
        if kind in ("error", "response.failed"):
            raise StreamError(payload.get("error") or (payload.get("response") or {}).get("error") or payload)
        if kind in ("response.output_item.added", "response.output_item.done"):
            item = dict(payload.get("item") or {})
            if kind == "response.output_item.added" and item.get("type") == "message":
                item["content"] = [{"type": "output_text", "text": ""}]
            self.items[index] = item
        elif kind == "response.output_text.delta":
            item = self.items.setdefault(index, {"type": "message", "content": [{"type": "output_text", "text": ""}]})
            item["content"][-1]["text"] = item["content"][-1].get("text", "") + payload.get("delta", "")
            return [TextDelta(payload.get("delta", ""))]
        elif kind == "response.function_call_arguments.delta":
            item = self.items.setdefault(index, {"type": "function_call", "arguments": ""})
            item["arguments"] = (item.get("arguments") or "") + payload.get("delta", "")
        elif kind == "response.reasoning_summary_text.delta":
            return [ThinkingDelta(payload.get("delta", ""))]
        elif kind in ("response.completed", "response.incomplete"):
            self.final = payload.get("response") or {}
            self.done = True
        return []

    def result(self) -> CompletionResponse:
        final = self.final or {}
        output = final.get("output") or [self.items[i] for i in sorted(self.items)]
        parts = _parts(output)
        return CompletionResponse(Message("assistant", parts), _usage(final.get("usage")), _finish(final, parts))


DIALECT = Dialect("responses", endpoint, headers, build_body, parse_response, StreamAssembler,
                  lists_models=True)
