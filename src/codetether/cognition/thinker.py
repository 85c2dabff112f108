"""The thinker: the small model behind each thought step. `openai_compat` over HTTP, or a local GGUF model."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from codetether.cognition.settings import CognitionSettings
from codetether.net import async_client

DEFAULT_URL = "http://127.0.0.1:11434/v1"


@dataclass
class ThinkerOutput:
    text: str
    model: str
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0,
                                                          "total_tokens": 0})
    latency_ms: int = 0


class ThinkerError(Exception):
    """A failed thought request; the message is safe to put in an event (no secrets)."""


class Thinker(Protocol):
    label: str

    async def think(self, system: str, user: str) -> ThinkerOutput: ...

    async def aclose(self) -> None: ...


class OpenAICompatThinker:
    """`POST <base>/chat/completions`, non-streaming; every failure becomes a ThinkerError."""

    def __init__(self, settings: CognitionSettings):
        base = (settings.thinker_base_url or DEFAULT_URL).rstrip("/")
        self.url = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.settings = settings
        self.label = settings.thinker_model
        self.timeout = max(settings.thinker_timeout_ms, 1000) / 1000
        self._client: httpx.AsyncClient | None = None

    async def think(self, system: str, user: str) -> ThinkerOutput:
        s = self.settings
        body: dict[str, Any] = {"model": s.thinker_model, "temperature": s.thinker_temperature,
                                "max_tokens": s.thinker_max_tokens, "stream": False,
                                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
        if s.thinker_top_p is not None:
            body["top_p"] = s.thinker_top_p
        headers = {"Authorization": f"Bearer {s.thinker_api_key}"} if s.thinker_api_key else {}
        if self._client is None:
            self._client = async_client(self.url, timeout=self.timeout)
        started = time.monotonic()
        try:
            resp = await self._client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise ThinkerError(f"thinker timed out after {int(self.timeout * 1000)} ms ({self.url})") from None
        except httpx.HTTPError as exc:
            raise ThinkerError(f"thinker unreachable at {self.url}: {type(exc).__name__}: {exc}"[:300]) from None
        latency = int((time.monotonic() - started) * 1000)
        if resp.status_code >= 400:
            raise ThinkerError(f"thinker returned HTTP {resp.status_code}: {resp.text[:200]}")
        return _parse_reply(resp, s.thinker_model, latency)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _parse_reply(resp: httpx.Response, fallback_model: str, latency: int) -> ThinkerOutput:
    try:
        data = resp.json()
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ThinkerError(f"thinker reply is not a chat completion: {resp.text[:200]}") from None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    counts = {k: int(usage.get(k) or 0) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    return ThinkerOutput(str(text), str(data.get("model") or fallback_model), choice.get("finish_reason"),
                         counts, latency)


def build_thinker(settings: CognitionSettings) -> Thinker | None:
    """None when the thinker is disabled (thoughts then come from deterministic templates).

    Raises a UsageError for a local backend that cannot work (package missing, model file missing)."""
    if not settings.thinker_enabled:
        return None
    if settings.thinker_backend == "gguf":
        # Only this backend imports llama-cpp-python, and only when selected.
        from codetether.cognition.gguf_thinker import GGUFThinker

        return GGUFThinker(settings)
    return OpenAICompatThinker(settings)


def excerpt(payload: dict[str, Any], limit: int = 220) -> str:
    """Compact JSON of an event payload, cut to `limit` characters, for the thinker's context lines."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."
