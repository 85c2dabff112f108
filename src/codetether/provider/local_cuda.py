"""local_cuda: a GGUF model run in this process by llama-cpp-python (GPU when its build has CUDA), text-protocol tools."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from codetether.errors import ConfigError
from codetether.llama import load_llama, require_llama_cpp
from codetether.provider.catalog import ProviderSpec
from codetether.provider.errors import ProviderRequestError
from codetether.provider.model import (
    CompletionRequest,
    CompletionResponse,
    DeltaCallback,
    Message,
    TextDelta,
    Usage,
)
from codetether.provider.text_tools import VisibleText, parse_reply, render_messages
from codetether.secrets.model import ProviderSecret

PROVIDER_ID = "local_cuda"
DEFAULT_CONTEXT, DEFAULT_MAX_TOKENS = 16384, 1024
# Secret field -> environment variables read when the field is absent (first set wins), as in the original.
ENV = {"model_path": ("LOCAL_CUDA_MODEL_PATH", "CODETETHER_LOCAL_CUDA_MODEL_PATH"),
       "model_name": ("LOCAL_CUDA_MODEL", "CODETETHER_LOCAL_CUDA_MODEL"),
       "tokenizer_path": ("LOCAL_CUDA_TOKENIZER_PATH", "CODETETHER_LOCAL_CUDA_TOKENIZER_PATH"),
       "architecture": ("LOCAL_CUDA_ARCH", "CODETETHER_LOCAL_CUDA_ARCH"),
       "device": ("LOCAL_CUDA_DEVICE", "CODETETHER_LOCAL_CUDA_DEVICE"),
       "context_window": ("LOCAL_CUDA_CONTEXT", "CODETETHER_LOCAL_CUDA_CONTEXT"),
       "max_tokens": ("LOCAL_CUDA_MAX_TOKENS", "CODETETHER_LOCAL_CUDA_MAX_TOKENS")}
SYSTEM_PROMPT_ENV = "CODETETHER_LOCAL_CUDA_SYSTEM_PROMPT"
INSTALL_ALTERNATIVE = ("Or serve the model with an OpenAI-compatible server (llama.cpp's llama-server, Ollama, vLLM) "
                       "and store its base_url under another provider id.")


def secret_from_env(env: Mapping[str, str] | None = None) -> ProviderSecret | None:
    """A local_cuda secret when CODETETHER_LOCAL_CUDA=1 or any LOCAL_CUDA_* variable is set (not credentials)."""
    env = os.environ if env is None else env
    on = env.get("CODETETHER_LOCAL_CUDA", "").strip().lower() in ("1", "true", "yes", "on")
    if not on and not any(env.get(v) for names in ENV.values() for v in names):
        return None
    return ProviderSecret(PROVIDER_ID, source="env:LOCAL_CUDA_*")


class LocalCudaProvider:
    """Loads the model on first use; one generation at a time (a llama context is not thread-safe)."""

    def __init__(self, spec: ProviderSpec, secret: ProviderSecret, *, max_attempts: int | None = None,
                 env: Mapping[str, str] | None = None):
        self.spec, self.secret, self.id = spec, secret, secret.provider_id
        self.env = os.environ if env is None else env
        self.model_path = self._setting("model_path")
        if not self.model_path:
            raise ConfigError(f"provider '{self.id}' needs a GGUF model file: set model_path in its Vault secret or "
                              "LOCAL_CUDA_MODEL_PATH",
                              f"e.g. vault kv put <mount>/<path>/{self.id} model_path=$HOME/models/qwen3.5-9b.gguf")
        if not Path(self.model_path).expanduser().is_file():
            raise ConfigError(f"provider '{self.id}': model_path names no file: {self.model_path}",
                              "Point model_path (or LOCAL_CUDA_MODEL_PATH) at an existing .gguf file.")
        self.device = (self._setting("device") or "auto").lower()
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"provider '{self.id}': device must be auto, cpu or cuda, not '{self.device}'")
        self.n_ctx = self._number("context_window", DEFAULT_CONTEXT)
        self.max_tokens = self._number("max_tokens", DEFAULT_MAX_TOKENS)
        require_llama_cpp(f"provider '{self.id}'", INSTALL_ALTERNATIVE)  # after the settings: fix those first
        self.context_window = self.n_ctx  # the agent trims the conversation to this (ResolvedModel.context_window)
        self._llm: Any = None
        self._lock = asyncio.Lock()
        # A cancelled request's thread runs on after its await ends: this lock, not the asyncio one, keeps a
        # second generation off the same (non-thread-safe) Llama until that thread has stopped.
        self._thread_lock = threading.Lock()

    def _setting(self, name: str) -> str | None:
        alias = {"model_name": "model"}.get(name)
        value = self.secret.field(name) or (self.secret.field(alias) if alias else None)
        return value or next((self.env[v] for v in ENV[name] if self.env.get(v)), None)

    def _number(self, name: str, default: int) -> int:
        text = self._setting(name)
        if text is None:
            return default
        if not text.strip().isdigit() or int(text) < 1:
            raise ConfigError(f"provider '{self.id}': {name} must be a positive whole number, not '{text}'")
        return int(text)

    async def aclose(self) -> None:
        self._llm = None

    def add_response_hook(self, hook: Any) -> None:
        """No HTTP here, so nothing for a rate limiter to observe."""

    async def list_models(self) -> list[str]:
        return [self._setting("model_name") or self.spec.default_model]

    async def complete(self, request: CompletionRequest, on_delta: DeltaCallback | None = None) -> CompletionResponse:
        messages = _with_system_override(request.messages, self.env.get(SYSTEM_PROMPT_ENV))
        chat = [{"role": role, "content": text} for role, text in render_messages(messages, request.tools)]
        loop = asyncio.get_running_loop()
        visible = VisibleText()
        sink = on_delta if request.stream else None

        def emit(full: str) -> None:
            if sink and (piece := visible.delta(full)):
                loop.call_soon_threadsafe(sink, TextDelta(piece))

        max_tokens = request.max_tokens or self.max_tokens
        stop = threading.Event()
        async with self._lock:
            try:
                text, usage = await asyncio.to_thread(self._generate, chat, max_tokens, request.temperature, emit,
                                                      stop)
            except asyncio.CancelledError:
                stop.set()  # the thread is not cancelled with the await: tell it to stop at the next token
                raise
        parsed = parse_reply(text, [t.name for t in request.tools])
        if sink and (rest := visible.finish(parsed.text)):
            sink(TextDelta(rest))
        return CompletionResponse(parsed.message(), usage, "length" if usage.completion_tokens >= max_tokens
                                  else parsed.finish_reason, parsed.repairs)

    def _generate(self, chat: list[dict[str, str]], max_tokens: int, temperature: float | None,
                  emit: Callable[[str], None], stop: threading.Event) -> tuple[str, Usage]:
        with self._thread_lock:
            if stop.is_set():  # cancelled while an earlier request's thread still held the model
                return "", Usage()
            return self._generate_locked(chat, max_tokens, temperature, emit, stop)

    def _generate_locked(self, chat: list[dict[str, str]], max_tokens: int, temperature: float | None,
                         emit: Callable[[str], None], stop: threading.Event) -> tuple[str, Usage]:
        llm = self._load()
        try:
            prompt_tokens = len(llm.tokenize(_flat(chat).encode(), add_bos=True, special=True))
            stream = llm.create_chat_completion(messages=chat, max_tokens=max_tokens, stream=True,
                                                temperature=0.7 if temperature is None else temperature,
                                                stop=["<tool_result"])  # never let it invent a tool's answer
            text, completion = "", 0
            for chunk in stream:
                if stop.is_set():
                    stream.close()  # ends llama's generation loop now, while this thread still holds the lock
                    break
                piece = chunk["choices"][0].get("delta", {}).get("content") or ""
                if piece:
                    text, completion = text + piece, completion + 1
                    emit(text)
        except ValueError as exc:  # llama.cpp: "Requested tokens (N) exceed context window of M"
            raise ProviderRequestError(f"provider '{self.id}': {exc}",
                                       f"Raise context_window (or LOCAL_CUDA_CONTEXT, now {self.n_ctx}) if memory "
                                       "allows, and set CODETETHER_CONTEXT_WINDOW to match so the agent trims "
                                       "the conversation to fit.") from None
        return text, Usage(prompt_tokens=prompt_tokens, completion_tokens=completion)

    def _load(self) -> Any:
        if self._llm is None:
            path = str(Path(self.model_path or "").expanduser())
            try:
                self._llm = load_llama(path, device=self.device, n_ctx=self.n_ctx)
            except (ValueError, RuntimeError) as exc:
                raise ConfigError(f"provider '{self.id}' could not load {path}: {exc}",
                                  "Check that the file is a complete GGUF model this llama-cpp-python "
                                  "version supports.") from None
        return self._llm


def _with_system_override(messages: list[Message], override: str | None) -> list[Message]:
    """CODETETHER_LOCAL_CUDA_SYSTEM_PROMPT replaces the (long) system prompt small local models struggle with."""
    if not override:
        return messages
    return [Message.text("system", override), *(m for m in messages if m.role != "system")]


def _flat(chat: list[dict[str, str]]) -> str:
    return "\n".join(f"{m['role']}: {m['content']}" for m in chat)
