"""A wire dialect: how one API family's requests are built and its answers read.

Each wire format is one module that declares its `DIALECT`; the provider client calls only what this record
names, and `dialect_for` is the one place that picks a provider's dialect (and its quirks)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

from codetether.provider.catalog import ProviderSpec, canonical, is_chatgpt_oauth
from codetether.provider.model import CompletionRequest, CompletionResponse
from codetether.secrets.model import ProviderSecret

# Dialect name -> module; only the one a provider speaks is imported.
MODULES: dict[str, str] = {"openai": "openai_chat", "anthropic": "anthropic", "bedrock": "bedrock",
                           "responses": "openai_responses", "vertex-anthropic": "vertex", "codex": "openai_codex"}


@dataclass(frozen=True)
class Dialect:
    name: str
    endpoint: Callable[[str, ProviderSecret], str]  # (base URL, secret) -> the URL requests go to
    headers: Callable[[ProviderSecret, str], dict[str, str]]  # (secret, base URL) -> static headers
    build_body: Callable[[CompletionRequest, ProviderSpec], dict[str, Any]]
    parse_response: Callable[[dict[str, Any]], CompletionResponse]
    stream_assembler: Callable[[], Any]  # a fresh assembler of stream events: feed(), done, result()
    request_url: Callable[[str, CompletionRequest], str] | None = None  # the model or streaming in the URL's path
    iter_events: Callable[[AsyncIterator[bytes]], AsyncIterator[Any]] | None = None  # a binary stream, not SSE
    transport: Callable[[str], str] | None = None  # model -> "ws" or "http": Responses over a pooled WebSocket
    stream_only: bool = False  # the backend answers only streamed requests
    lists_models: bool = False  # GET {base}/models, OpenAI style


def dialect_named(name: str) -> Dialect:
    dialect: Dialect = importlib.import_module(f"codetether.provider.{MODULES[name]}").DIALECT
    return dialect


def dialect_for(spec: ProviderSpec, secret: ProviderSecret) -> Dialect:
    """The dialect a provider speaks with this secret: its wire_api may move an OpenAI-style provider between
    Chat Completions and Responses; a ChatGPT sign-in speaks the Codex backend's."""
    name, wire_api = spec.dialect, secret.field("wire_api")
    if wire_api == "responses" and spec.dialect in ("openai", "responses"):
        name = "responses"
    elif wire_api in ("chat", "chat_completions") and spec.dialect == "responses":
        name = "openai"
    if name == "responses" and is_chatgpt_oauth(spec.id, secret.extra):
        name = "codex"
    dialect = dialect_named(name)
    if name == "responses" and canonical(spec.id) == "openai-codex":
        # openai-codex with an API key: the same pooled WebSocket (wss://api.openai.com/v1/responses), spec 3.3
        from codetether.provider.openai_codex import transport

        dialect = replace(dialect, transport=transport)
    return dialect
