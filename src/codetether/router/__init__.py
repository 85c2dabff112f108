"""The FunctionGemma tool-call router: turns a text-only reply that describes tool use into structured calls."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from codetether.provider.model import CompletionResponse, Message, ToolDefinition
from codetether.router.config import RouterConfig, router_config

if TYPE_CHECKING:
    from codetether.router.backends import RouterBackend

log = logging.getLogger(__name__)

__all__ = ["RouterConfig", "ToolRouter", "router_config", "router_from_env"]


class ToolRouter:
    """normalize(): structured or empty replies pass through untouched; any router failure returns the reply."""

    def __init__(self, backend: RouterBackend):
        self.backend = backend

    async def normalize(self, response: CompletionResponse, tools: list[ToolDefinition]) -> CompletionResponse:
        message = response.message
        text = message.text_content
        if message.tool_calls or not tools or not text.strip():
            return response  # zero cost: the router is not asked at all
        try:
            calls = await self.backend.route(text, tools)
        except Exception as exc:  # the router must never fail a turn
            log.warning("tool router failed (%s: %s); keeping the model's reply", type(exc).__name__, exc)
            return response
        if not calls:
            return response
        return replace(response, message=Message(message.role, [*message.parts, *calls]), finish_reason="tool_calls")

    async def aclose(self) -> None:
        await self.backend.aclose()


def router_from_env(env: Mapping[str, str] | None = None) -> ToolRouter | None:
    """The router the environment asks for, or None (disabled, the default)."""
    config = router_config(env)
    if config is None:
        return None
    from codetether.router.backends import make_backend  # only a configured router loads its backends

    return ToolRouter(make_backend(config))
