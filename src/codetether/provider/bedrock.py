"""The Amazon Bedrock Converse wire dialect: POST /model/{id}/converse, or /converse-stream (event-stream)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from codetether.provider.catalog import ProviderSpec
from codetether.provider.dialect import Dialect
from codetether.provider.errors import ProviderProtocolError, StreamError
from codetether.provider.eventstream import iter_events
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

__all__ = ["DIALECT", "StreamAssembler", "build_body", "endpoint", "headers", "iter_events", "parse_response", "request_url"]

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
           "content_filtered": "content_filter", "guardrail_intervened": "content_filter"}


def endpoint(base_url: str, secret: ProviderSecret | None = None) -> str:
    return base_url.rstrip("/")


def request_url(base: str, request: CompletionRequest) -> str:
    # Model ids such as anthropic.claude-3-5-sonnet-20240620-v1:0 travel percent-encoded in the path.
    return f"{base}/model/{quote(request.model, safe='')}/converse{'-stream' if request.stream else ''}"


def headers(secret: ProviderSecret, base_url: str = "") -> dict[str, str]:
    # A Bedrock API key is a bearer token; without one, requests are SigV4-signed (provider/sigv4.py).
    return {"Authorization": f"Bearer {secret.api_key}"} if secret.api_key else {}


def build_body(request: CompletionRequest, spec: ProviderSpec) -> dict[str, Any]:
    system = [{"text": m.text_content} for m in request.messages if m.role == "system" and m.text_content]
    history = [m for m in request.messages if m.role != "system"]
    if not request.tools:  # Converse rejects toolUse/toolResult blocks without a toolConfig
        history = [tools_as_text(m) for m in history]
    body: dict[str, Any] = {"messages": alternating_turns(history, _block)}
    if system:
        body["system"] = system
    config: dict[str, Any] = {}
    if request.max_tokens:
        config["maxTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if config:
        body["inferenceConfig"] = config
    if request.tools:
        body["toolConfig"] = {"tools": [{"toolSpec": {"name": t.name, "description": t.description,
                                                      "inputSchema": {"json": t.parameters}}}
                                        for t in request.tools]}
    return body


def _block(part: Any) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"text": part.text} if part.text.strip() else None
    if isinstance(part, ToolCallPart):
        try:
            args = json.loads(part.arguments or "{}")
        except ValueError:
            args = {}
        return {"toolUse": {"toolUseId": part.id, "name": part.name, "input": args if isinstance(args, dict) else {}}}
    if isinstance(part, ToolResultPart):
        result: dict[str, Any] = {"toolUseId": part.tool_call_id, "content": [{"text": part.content or "(empty)"}]}
        if part.is_error:
            result["status"] = "error"
        return {"toolResult": result}
    if isinstance(part, ImagePart) and part.url.startswith("data:"):
        header, _, data = part.url.partition(",")
        kind = header[5:].split(";")[0].removeprefix("image/")
        return {"image": {"format": "jpeg" if kind == "jpg" else kind, "source": {"bytes": data}}}
    return None  # thinking is not sent back


def _usage(raw: dict[str, Any] | None) -> Usage:
    raw = raw or {}
    return Usage(raw.get("inputTokens") or 0, raw.get("outputTokens") or 0,
                 cache_read_tokens=raw.get("cacheReadInputTokens") or 0,
                 cache_write_tokens=raw.get("cacheWriteInputTokens") or 0)


def parse_response(data: dict[str, Any]) -> CompletionResponse:
    message = (data.get("output") or {}).get("message")
    if not isinstance(message, dict):
        raise ProviderProtocolError(f"sent a response without output.message: {json.dumps(data)[:300]}")
    parts: list[Any] = []
    for block in message.get("content") or []:
        if "text" in block:
            parts.append(TextPart(block["text"]))
        elif "reasoningContent" in block:
            text = ((block["reasoningContent"] or {}).get("reasoningText") or {}).get("text", "")
            parts.append(ThinkingPart(text))
        elif "toolUse" in block:
            use = block["toolUse"]
            parts.append(ToolCallPart(use.get("toolUseId", ""), use.get("name", ""), json.dumps(use.get("input") or {})))
    finish = _FINISH.get(data.get("stopReason") or "end_turn", "stop")
    parts = open_cut_off_call(parts, finish)
    return CompletionResponse(Message("assistant", parts), _usage(data.get("usage")), finish)  # type: ignore[arg-type]


class StreamAssembler:
    """Accumulates messageStart/contentBlock*/messageStop/metadata events into one response."""

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, Any]] = {}
        self.usage = Usage()
        self.finish = "stop"
        self.done = False

    def feed(self, event: str, data: str) -> list[TextDelta | ThinkingDelta]:
        payload = json.loads(data or "{}")
        if event == "exception":
            raise StreamError(f"{payload.get('type')}: {payload.get('message')}")
        index = payload.get("contentBlockIndex", 0)
        if event == "contentBlockStart":
            use = (payload.get("start") or {}).get("toolUse") or {}
            self.blocks[index] = {"tool": use, "text": "", "json": "", "thinking": ""}
        elif event == "contentBlockDelta":
            return self._delta(self.blocks.setdefault(index, {"tool": None, "text": "", "json": "", "thinking": ""}),
                               payload.get("delta") or {})
        elif event == "messageStop":
            self.finish = _FINISH.get(payload.get("stopReason") or "end_turn", "stop")
        elif event == "metadata":  # always the last event of a converse stream
            self.usage = _usage(payload.get("usage"))
            self.done = True
        return []

    def _delta(self, block: dict[str, Any], delta: dict[str, Any]) -> list[TextDelta | ThinkingDelta]:
        if "text" in delta:
            block["text"] += delta["text"]
            return [TextDelta(delta["text"])]
        if "toolUse" in delta:
            block["json"] += (delta["toolUse"] or {}).get("input", "")
        elif "reasoningContent" in delta:
            text = (delta["reasoningContent"] or {}).get("text", "")
            block["thinking"] += text
            return [ThinkingDelta(text)] if text else []
        return []

    def result(self) -> CompletionResponse:
        parts: list[Any] = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block["thinking"]:
                parts.append(ThinkingPart(block["thinking"]))
            if block["tool"]:
                parts.append(ToolCallPart(block["tool"].get("toolUseId", ""), block["tool"].get("name", ""),
                                          block["json"] or "{}"))
            elif block["text"]:
                parts.append(TextPart(block["text"]))
        return CompletionResponse(Message("assistant", parts), self.usage, self.finish)  # type: ignore[arg-type]


DIALECT = Dialect("bedrock", endpoint, headers, build_body, parse_response, StreamAssembler, request_url=request_url,
                  iter_events=iter_events)
