"""Where the router's small model runs: any OpenAI-compatible endpoint, or a local GGUF via llama-cpp-python."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

from codetether.llama import load_llama, require_llama_cpp
from codetether.provider.model import ToolCallPart, ToolDefinition
from codetether.router.config import RouterConfig
from codetether.router.prompt import gemma_prompt, new_call_id, parse_tool_calls, system_prompt


class RouterBackend(Protocol):
    async def route(self, text: str, tools: list[ToolDefinition]) -> list[ToolCallPart]: ...

    async def aclose(self) -> None: ...


class OpenAICompatibleBackend:
    """Asks a chat-completions endpoint; accepts native tool_calls or <tool_call> blocks in its text."""

    def __init__(self, config: RouterConfig):
        from codetether.net import async_client

        self.config = config
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        self._http = async_client(self.url, timeout=config.timeout)

    async def route(self, text: str, tools: list[ToolDefinition]) -> list[ToolCallPart]:
        body = {"model": self.config.model, "stream": False, "temperature": self.config.temperature,
                "max_tokens": self.config.max_tokens,
                "messages": [{"role": "system", "content": system_prompt(tools)}, {"role": "user", "content": text}],
                "tools": [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                            "parameters": t.parameters}} for t in tools]}
        response = await self._http.post(self.url, json=body)
        response.raise_for_status()
        message = response.json()["choices"][0]["message"]
        native = [_native(c) for c in message.get("tool_calls") or []]
        return [c for c in native if c is not None] or parse_tool_calls(message.get("content") or "")

    async def aclose(self) -> None:
        await self._http.aclose()


def _native(call: dict[str, Any]) -> ToolCallPart | None:
    function = call.get("function") or {}
    name = function.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    arguments = function.get("arguments")
    text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return ToolCallPart(new_call_id(), name.strip(), text)


class GgufBackend:
    """FunctionGemma (or any GGUF) in-process through llama-cpp-python, loaded on first use."""

    def __init__(self, config: RouterConfig):
        # Checked here so a missing install is reported at start-up, not at the first routed reply.
        require_llama_cpp("the gguf tool router", "Or set CODETETHER_TOOL_ROUTER_BASE_URL to an OpenAI-compatible "
                          "endpoint (e.g. Ollama serving FunctionGemma).")
        self.config = config
        self._llm: Any = None
        self._lock = asyncio.Lock()

    def _load(self) -> Any:
        return load_llama(self.config.model_path, device=self.config.device)

    def _generate(self, text: str, tools: list[ToolDefinition]) -> str:
        """Gemma models (the arch says gemma*) get Gemma's turn format as the seed writes it; any other model its
        own chat template, stored in the GGUF."""
        if self._llm is None:
            self._llm = self._load()
        options = {"max_tokens": self.config.max_tokens, "temperature": self.config.temperature,
                   "repeat_penalty": 1.1}
        if self.config.arch.startswith("gemma"):
            out = self._llm(gemma_prompt(text, tools), stop=["<end_of_turn>"], **options)
            return out["choices"][0]["text"]
        out = self._llm.create_chat_completion(messages=[{"role": "system", "content": system_prompt(tools)},
                                                         {"role": "user", "content": text}], **options)
        return out["choices"][0]["message"].get("content") or ""

    async def route(self, text: str, tools: list[ToolDefinition]) -> list[ToolCallPart]:
        async with self._lock:  # one llama context is not safe to use from two threads at once
            return parse_tool_calls(await asyncio.to_thread(self._generate, text, tools))

    async def aclose(self) -> None:
        self._llm = None


def make_backend(config: RouterConfig) -> RouterBackend:
    return OpenAICompatibleBackend(config) if config.backend == "openai" else GgufBackend(config)
