"""openai-codex signed in with ChatGPT: the Codex backend's Responses body and headers.

Events and answers are read by openai_responses (same wire events); this module only shapes the request."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from codetether.errors import ConfigError
from codetether.provider.catalog import ProviderSpec
from codetether.provider.codex_oauth import ORIGINATOR
from codetether.provider.dialect import Dialect
from codetether.provider.model import CompletionRequest
from codetether.provider.openai_responses import StreamAssembler, _input, parse_response
from codetether.secrets.model import ProviderSecret

__all__ = ["DIALECT", "STREAM_ONLY", "StreamAssembler", "build_body", "endpoint", "headers", "parse_response", "transport"]

CHATGPT_BASE = "https://chatgpt.com/backend-api/codex"
TRANSPORT_ENV = "CODETETHER_OPENAI_CODEX_TRANSPORT"
HTTP_ONLY_MODELS = ("gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna")  # spec: these need the HTTP transport
EFFORTS = ("minimal", "low", "medium", "high", "xhigh")
STREAM_ONLY = True  # the Codex backend only answers with a stream


def endpoint(base_url: str, secret: ProviderSecret | None = None) -> str:
    """The secret's base_url (tests, proxies) or the ChatGPT Codex backend; never api.openai.com."""
    base = secret.base_url if secret is not None and secret.base_url else CHATGPT_BASE
    return base.rstrip("/") + "/responses"


def headers(secret: ProviderSecret, base_url: str = "") -> dict[str, str]:
    # Authorization and chatgpt-account-id come from CodexAuth, which refreshes the token.
    return {"OpenAI-Beta": "responses=experimental", "originator": ORIGINATOR, "Accept": "text/event-stream"}


def build_body(request: CompletionRequest, spec: ProviderSpec) -> dict[str, Any]:
    model, effort = split_effort(request.model)
    instructions = "\n\n".join(m.text_content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {
        "model": model, "instructions": instructions, "input": _input(request.messages),
        "tools": [{"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters}
                  for t in request.tools],
        "tool_choice": "auto", "parallel_tool_calls": True, "store": False, "stream": True,
        "include": ["reasoning.encrypted_content"], "prompt_cache_key": cache_key(request)}
    if effort:
        body["reasoning"] = {"effort": effort, "summary": "auto"}
    return body


def split_effort(model: str) -> tuple[str, str | None]:
    """`gpt-5.5:high` -> ("gpt-5.5", "high"): the suffix names the reasoning effort."""
    name, sep, suffix = model.rpartition(":")
    return (name, suffix) if sep and suffix in EFFORTS else (model, None)


def cache_key(request: CompletionRequest) -> str:
    """Stable for one conversation (its first user message), so the backend can reuse the prompt cache."""
    first = next((m.text_content for m in request.messages if m.role == "user"), "")
    return hashlib.sha256(f"{request.model}\n{first}".encode()).hexdigest()[:32]


def transport(model: str, env: dict[str, str] | None = None) -> str:
    """"ws" (default: a pooled WebSocket, HTTP SSE when the handshake fails) or "http"."""
    env = os.environ if env is None else env
    value = (env.get(TRANSPORT_ENV) or "ws").strip().lower()
    if value not in ("ws", "http"):
        raise ConfigError(f"{TRANSPORT_ENV}={value!r} is not a transport",
                          f"Set {TRANSPORT_ENV} to ws (WebSocket with HTTP fallback) or http.")
    return "http" if split_effort(model)[0].startswith(HTTP_ONLY_MODELS) else value


DIALECT = Dialect("codex", endpoint, headers, build_body, parse_response, StreamAssembler, transport=transport,
                  stream_only=STREAM_ONLY)
