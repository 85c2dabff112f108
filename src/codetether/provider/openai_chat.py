"""The OpenAI Chat Completions wire dialect (OpenAI and every compatible provider)."""

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

_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
           "content_filter": "content_filter", "max_tokens": "length",
           # Gemini's OpenAI-compatible endpoint passes its own reasons through.
           "malformed_function_call": "malformed_call", "unexpected_tool_call": "malformed_call"}


def _finish(reason: str | None) -> str:
    return _FINISH.get((reason or "stop").lower(), "stop")


AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
AZURE_API_VERSION = "2024-10-21"


def is_azure(base_url: str, secret: ProviderSecret | None) -> bool:
    """Azure OpenAI: by host, or any endpoint whose secret names an api_version (tests, proxies)."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    return host.endswith(AZURE_HOSTS) or bool(secret and secret.field("api_version"))


def endpoint(base_url: str, secret: ProviderSecret | None = None) -> str:
    url = base_url.rstrip("/") + "/chat/completions"
    if is_azure(base_url, secret):
        version = (secret.field("api_version") if secret else None) or AZURE_API_VERSION
        url += f"?api-version={version}"
    return url


def headers(secret: ProviderSecret, base_url: str = "") -> dict[str, str]:
    if secret.api_key and is_azure(base_url, secret):
        return {"api-key": secret.api_key}  # Azure OpenAI's key header; it ignores Bearer keys
    out = {"Authorization": f"Bearer {secret.api_key}"} if secret.api_key else {}
    if secret.organization:
        out["OpenAI-Organization"] = secret.organization
    return out


def build_body(request: CompletionRequest, spec: ProviderSpec) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model, "messages": _messages(request.messages)}
    if request.tools:
        body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                           "parameters": t.parameters}} for t in request.tools]
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.max_tokens:
        body[spec.max_tokens_field] = request.max_tokens
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "tool":
            out.extend({"role": "tool", "tool_call_id": p.tool_call_id, "content": p.content}
                       for p in msg.parts if isinstance(p, ToolResultPart))
            continue
        entry: dict[str, Any] = {"role": msg.role}
        images = [p for p in msg.parts if isinstance(p, ImagePart)]
        if images and msg.role == "user":
            entry["content"] = [{"type": "text", "text": msg.text_content}] + [
                {"type": "image_url", "image_url": {"url": p.url}} for p in images]
        else:
            entry["content"] = msg.text_content or (None if msg.tool_calls else "")
        if msg.tool_calls:
            entry["tool_calls"] = [{"id": c.id, "type": "function",
                                    "function": {"name": c.name, "arguments": c.arguments}} for c in msg.tool_calls]
        out.append(entry)
    return out


def parse_response(data: dict[str, Any]) -> CompletionResponse:
    try:
        choice = data["choices"][0]
        raw = choice.get("message") or {}
    except (KeyError, IndexError, TypeError):
        raise ProviderProtocolError(f"sent a response without choices: {json.dumps(data)[:300]}") from None
    parts: list[Any] = []
    if raw.get("reasoning_content"):
        parts.append(ThinkingPart(raw["reasoning_content"]))
    if raw.get("content"):
        parts.append(TextPart(raw["content"]))
    for call in raw.get("tool_calls") or []:
        fn = call.get("function") or {}
        parts.append(ToolCallPart(call.get("id") or f"call_{len(parts)}", fn.get("name", ""),
                                  fn.get("arguments") or "{}"))
    finish = _finish(choice.get("finish_reason"))
    return CompletionResponse(Message("assistant", parts), _usage(data.get("usage")), finish)


def _usage(raw: dict[str, Any] | None) -> Usage:
    raw = raw or {}
    cached = (raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    return Usage(raw.get("prompt_tokens") or 0, raw.get("completion_tokens") or 0, cache_read_tokens=cached)


class StreamAssembler:
    """Accumulates chat.completion.chunk events into one response, yielding text as it comes."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.finish = "stop"
        self.usage = Usage()
        self.done = False

    def feed(self, event: str, data: str) -> list[TextDelta | ThinkingDelta]:
        if data.strip() == "[DONE]":
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError:
            raise ProviderProtocolError(f"sent a stream chunk that is not JSON: {data[:200]}") from None
        if not isinstance(chunk, dict):
            raise ProviderProtocolError(f"sent a stream chunk that is not an object: {data[:200]}")
        if "error" in chunk:
            raise StreamError(chunk["error"])
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        out: list[TextDelta | ThinkingDelta] = []
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("reasoning_content"):
                self.thinking.append(delta["reasoning_content"])
                out.append(ThinkingDelta(delta["reasoning_content"]))
            if delta.get("content"):
                self.text.append(delta["content"])
                out.append(TextDelta(delta["content"]))
            for call in delta.get("tool_calls") or []:
                index = call.get("index", len(self.calls))
                slot = self.calls.get(index)
                if slot is not None and call.get("id") and slot["id"] and call["id"] != slot["id"]:
                    # Some compatible servers reuse index 0 for parallel calls; a new id means a new call.
                    index = max(self.calls) + 1
                    slot = None
                if slot is None:
                    slot = self.calls[index] = {"id": "", "name": "", "args": ""}
                fn = call.get("function") or {}
                slot["id"] = call.get("id") or slot["id"]
                slot["name"] += fn.get("name") or ""
                slot["args"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                self.finish = _finish(choice["finish_reason"])
        return out

    def result(self) -> CompletionResponse:
        parts: list[Any] = []
        if self.thinking:
            parts.append(ThinkingPart("".join(self.thinking)))
        if self.text:
            parts.append(TextPart("".join(self.text)))
        for index in sorted(self.calls):
            slot = self.calls[index]
            parts.append(ToolCallPart(slot["id"] or f"call_{index}", slot["name"], slot["args"] or "{}"))
        finish = "tool_calls" if self.calls and self.finish == "stop" else self.finish
        return CompletionResponse(Message("assistant", parts), self.usage, finish)  # type: ignore[arg-type]


DIALECT = Dialect("openai", endpoint, headers, build_body, parse_response, StreamAssembler, lists_models=True)
