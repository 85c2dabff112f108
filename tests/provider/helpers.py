"""Small helpers for provider wire tests: run one completion through a real Provider."""

from __future__ import annotations

import asyncio
from typing import Any

from codetether.provider.catalog import spec_for
from codetether.provider.client import Provider
from codetether.provider.model import CompletionRequest, CompletionResponse, Message, ToolDefinition
from codetether.secrets.model import ProviderSecret

READ_TOOL = ToolDefinition("read", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}},
                                                     "required": ["path"]})


def complete(provider_id: str, fields: dict[str, Any], model: str, *, stream: bool = False,
             messages: list[Message] | None = None, tools: bool = True, times: int = 1) -> list[CompletionResponse]:
    """Send ``times`` identical requests through one Provider; returns the responses and collected deltas."""
    secret = ProviderSecret.from_fields(provider_id, fields, source="vault")
    spec = spec_for(provider_id, secret.base_url)
    assert spec is not None
    msgs = messages or [Message.text("system", "be brief"), Message.text("user", "read a.py")]
    request = CompletionRequest(model, msgs, [READ_TOOL] if tools else [], max_tokens=256, stream=stream)

    async def go() -> list[CompletionResponse]:
        provider = Provider(spec, secret, max_attempts=1)
        try:
            return [await provider.complete(request) for _ in range(times)]
        finally:
            await provider.aclose()

    return asyncio.run(go())
