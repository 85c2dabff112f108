"""One client policy for every provider: retries with backoff, streaming assembly, clear errors."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from codetether.config.env import env_number, step_timeout
from codetether.net import async_client
from codetether.provider.auth import make_auth
from codetether.provider.catalog import ProviderSpec
from codetether.provider.dialect import Dialect, dialect_for
from codetether.provider.endpoints import base_url_for
from codetether.provider.errors import (
    ContextOverflowError,
    ProviderAuthError,
    ProviderProtocolError,
    ProviderRequestError,
    ProviderUnavailableError,
    StreamError,
)
from codetether.provider.model import CompletionRequest, CompletionResponse, DeltaCallback, Waiting
from codetether.provider.overflow import parse_overflow
from codetether.provider.sse import iter_sse
from codetether.secrets.model import ProviderSecret
from codetether.secrets.redact import redact

RETRYABLE = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}


class _Unauthorized(ProviderAuthError):
    """HTTP 401: a minted token (OAuth) may be replaced once before giving up."""


MAX_WAIT_ENV = "CODETETHER_PROVIDER_MAX_WAIT"
ANNOUNCE_WAIT = 3.0  # seconds: a wait at least this long is said (stderr, jsonl, TUI) instead of looking hung


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None = None):
        self.reason, self.after = reason, after


KEEP_CONNECTIONS = 100


class Provider:
    """A configured provider: spec + secret + an HTTP client, speaking one dialect."""

    def __init__(self, spec: ProviderSpec, secret: ProviderSecret, *, max_attempts: int | None = None,
                 backoff_base: float = 0.5, backoff_max: float = 30.0):
        self.spec = spec
        self.secret = secret
        self.id = secret.provider_id
        self.dialect: Dialect = dialect_for(spec, secret)
        base = base_url_for(spec, secret.base_url, secret.extra)
        if not base:
            raise ProviderRequestError(f"provider '{self.id}' needs a base_url",
                                       f"Add base_url to its Vault secret: vault kv patch <mount>/<path>/{self.id} "
                                       "base_url=https://...")
        self.base_url = base
        self.url = self.dialect.endpoint(base, secret)
        self.max_attempts = max_attempts or int(env_number("CODETETHER_PROVIDER_MAX_ATTEMPTS", 4, integer=True))
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.step_timeout = step_timeout()  # also bounds the wait for each WebSocket event (responses_ws)
        # A server runs many tasks on one provider: keep their connections for the next request (httpx keeps 20).
        self._http = async_client(self.url, timeout=httpx.Timeout(self.step_timeout, connect=10.0),
                                  limits=httpx.Limits(max_connections=KEEP_CONNECTIONS,
                                                      max_keepalive_connections=KEEP_CONNECTIONS))
        self._headers = {**spec.headers, **self.dialect.headers(secret, base), **secret.headers,
                         "Content-Type": "application/json"}
        # Credentials that are computed per request (SigV4 signatures, Copilot session tokens), or None.
        self._auth = make_auth(spec, secret, base)
        self._ws: Any = None  # pooled Responses WebSockets (responses_ws), for dialects with a transport()

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._ws is not None:
            await self._ws.aclose()
        if self._auth is not None:
            await self._auth.aclose()

    async def _prepare(self, url: str, body: bytes, request: CompletionRequest) -> tuple[str, dict[str, str]]:
        if self._auth is None:
            return url, self._headers
        return await self._auth.prepare(url, body, dict(self._headers), request)

    def add_response_hook(self, hook: Callable[[httpx.Response], Awaitable[None]]) -> None:
        """Observe every HTTP response's status and headers, retried ones included (the swarm limiter's 429s)."""
        self._http.event_hooks["response"].append(hook)

    async def list_models(self) -> list[str]:
        """Live model ids from an OpenAI-style GET {base}/models (other dialects: none)."""
        if not self.dialect.lists_models:
            return []
        url = self.base_url.rstrip("/") + "/models"
        url, headers = await self._prepare(url, b"", CompletionRequest("", []))
        try:
            resp = await self._http.get(url, headers=headers)
        except httpx.TransportError as exc:
            raise ProviderUnavailableError(f"provider '{self.id}' is unreachable at {url} ({type(exc).__name__})") from None
        try:
            self._check_status(resp.status_code, resp.headers, resp.text)
        except _Retry as retry:
            raise ProviderUnavailableError(f"provider '{self.id}' could not list models: {retry.reason}") from None
        return self._parse(lambda: [str(m["id"]) for m in json.loads(resp.text).get("data") or []])

    async def complete(self, request: CompletionRequest, on_delta: DeltaCallback | None = None) -> CompletionResponse:
        """Send one completion request, streaming when asked, retrying transient failures."""
        # Nothing the agent holds as a secret leaves in a request, whichever file or output carried it in.
        body = redact(json.dumps(self.dialect.build_body(request, self.spec))).encode()
        url = self.dialect.request_url(self.url, request) if self.dialect.request_url else self.url
        for attempt in range(1, self.max_attempts + 1):
            emitted = [False]
            try:
                return await self._attempt(url, body, request, on_delta, emitted)
            except _Retry as retry:
                # A stream that already showed text cannot be replayed without duplicating it.
                if attempt == self.max_attempts or emitted[0]:
                    raise ProviderUnavailableError(
                        f"provider '{self.id}' failed after {attempt} attempt(s): {retry.reason}",
                        "Try again later, or pick another model with --model.") from None
                delay = self._delay(attempt, retry.after)
                if delay >= ANNOUNCE_WAIT and on_delta is not None:
                    on_delta(Waiting(delay, f"provider '{self.id}': {retry.reason}"))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _attempt(self, url: str, body: bytes, request: CompletionRequest, on_delta: DeltaCallback | None,
                       emitted: list[bool]) -> CompletionResponse:
        for refreshed in (False, True):
            # Signed or token-bearing headers are made afresh for every attempt (dates, expiry).
            sent_url, headers = await self._prepare(url, body, request)
            try:
                if request.stream or self.dialect.stream_only:
                    if self._wants_ws(request.model):
                        answer = await self._stream_ws(sent_url, body, headers, on_delta, emitted)
                        if answer is not None:
                            return answer
                    return await self._stream(sent_url, body, headers, on_delta, emitted)
                return await self._once(sent_url, body, headers)
            except _Unauthorized:
                # A token the API stopped accepting (revoked, clock skew) is minted again, once.
                invalidate = getattr(self._auth, "invalidate", None)
                if refreshed or invalidate is None or not invalidate():
                    raise
        raise AssertionError("unreachable")

    async def _once(self, url: str, body: bytes, headers: dict[str, str]) -> CompletionResponse:
        try:
            resp = await self._http.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise _Retry(f"{type(exc).__name__} contacting {url}") from None
        self._check_status(resp.status_code, resp.headers, resp.text)
        return self._parse(lambda: self.dialect.parse_response(json.loads(resp.text)))

    def _parse(self, parse: Callable[..., Any], *args: Any) -> Any:
        """Run a dialect parser; anything malformed becomes one error naming the provider."""
        try:
            return parse(*args)
        except StreamError as exc:
            if exc.transient:
                raise _Retry(f"{exc}") from None
            raise ProviderProtocolError(f"provider '{self.id}' {exc}") from None
        except ProviderProtocolError as exc:
            raise ProviderProtocolError(f"provider '{self.id}' {exc.message}") from None
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            raise ProviderProtocolError(f"provider '{self.id}' sent a response that could not be read "
                                        f"({type(exc).__name__}: {redact(str(exc))[:200]})") from None

    async def _stream(self, url: str, body: bytes, headers: dict[str, str], on_delta: DeltaCallback | None,
                      emitted: list[bool]) -> CompletionResponse:
        assembler = self.dialect.stream_assembler()
        try:
            async with self._http.stream("POST", url, content=body, headers=headers) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    self._check_status(resp.status_code, resp.headers, resp.text)
                if "json" in resp.headers.get("content-type", "") and "event-stream" not in resp.headers.get(
                        "content-type", ""):
                    await resp.aread()  # a provider that ignored stream=true
                    return self._parse(lambda: self.dialect.parse_response(json.loads(resp.text)))
                iter_events = self.dialect.iter_events
                events = iter_events(resp.aiter_bytes()) if iter_events else iter_sse(resp.aiter_lines())
                await self._drain(events, assembler, on_delta, emitted)
        except httpx.TransportError as exc:
            raise _Retry(f"{type(exc).__name__} while streaming from {url}") from None
        except ProviderProtocolError as exc:  # a broken frame from the event-stream decoder
            if exc.message.startswith("provider '"):
                raise
            raise ProviderProtocolError(f"provider '{self.id}' {exc.message}") from None
        if not assembler.done:
            # A cut-off stream is not an answer: retry it (if nothing was shown yet) rather than accept half.
            raise _Retry("the stream ended before the response was complete")
        return self._parse(assembler.result)

    async def _drain(self, events: Any, assembler: Any, on_delta: DeltaCallback | None, emitted: list[bool]) -> None:
        async for event, data in events:
            for delta in self._parse(assembler.feed, event, data):
                emitted[0] = True
                if on_delta:
                    on_delta(delta)
            if assembler.done:
                break

    def _wants_ws(self, model: str) -> bool:
        transport = self.dialect.transport
        return transport is not None and transport(model) == "ws" and not (self._ws and self._ws.refused)

    async def _stream_ws(self, url: str, body: bytes, headers: dict[str, str], on_delta: DeltaCallback | None,
                         emitted: list[bool]) -> CompletionResponse | None:
        """The same events over a pooled WebSocket; None when the handshake failed (HTTP SSE from then on)."""
        from codetether.provider.responses_ws import HandshakeRefused, ResponsesSocketPool

        self._ws = self._ws or ResponsesSocketPool(self.step_timeout)
        assembler = self.dialect.stream_assembler()
        try:
            events = await self._ws.events(url, body, headers)
            async with contextlib.aclosing(events):
                await self._drain(events, assembler, on_delta, emitted)
        except HandshakeRefused as exc:
            if exc.status == 401:  # a stale token: refreshed by _attempt like an HTTP 401
                self._check_status(401, httpx.Headers(), exc.reason)
            return None
        except ModuleNotFoundError:
            self._ws.refused = "the websockets package is not installed"
            return None
        except ConnectionError as exc:
            raise _Retry(f"{exc} ({url})") from None
        if not assembler.done:
            raise _Retry("the WebSocket stream ended before the response was complete")
        return self._parse(assembler.result)

    def _check_status(self, status: int, headers: httpx.Headers, text: str) -> None:
        if status < 400:
            return
        detail = _error_detail(text)
        if status in (401, 403):
            what = self._auth.credential_name if self._auth is not None else "the API key"
            error = _Unauthorized if status == 401 else ProviderAuthError
            raise error(f"provider '{self.id}' rejected {what} (HTTP {status}): {detail}",
                        f"Update the credentials in the '{self.id}' secret in Vault.")
        if status in RETRYABLE:
            raise _Retry(f"HTTP {status}: {detail}", _retry_after(headers))
        overflow = parse_overflow(status, text)
        if overflow is not None:
            raise ContextOverflowError(f"provider '{self.id}' refused the request as too long for the model's "
                                       f"context window (HTTP {status}): {detail}", overflow.limit,
                                       overflow.prompt_tokens)
        raise ProviderRequestError(f"provider '{self.id}' refused the request (HTTP {status}): {detail}")

    def _delay(self, attempt: int, after: float | None) -> float:
        """The wait before the next attempt: the provider's Retry-After within the cap, else backoff."""
        if after is not None:
            cap = env_number(MAX_WAIT_ENV, 60.0)
            if after > cap:
                raise ProviderUnavailableError(
                    f"provider '{self.id}' asks to wait {after:.0f} s before trying again, longer than the "
                    f"{cap:.0f} s this run waits", f"Try again later, pick another model with --model, or raise "
                    f"{MAX_WAIT_ENV}.")
            return after
        return min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max) * random.uniform(0.9, 1.1)


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def _error_detail(text: str) -> str:
    try:
        data: Any = json.loads(text)
        err = data.get("error", data) if isinstance(data, dict) else data
        message = err.get("message") if isinstance(err, dict) else err
        return redact(str(message or text))[:300]
    except ValueError:
        return redact(text.strip())[:300] or "(empty body)"
