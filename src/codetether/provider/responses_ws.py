"""The Responses API over WebSocket: a `response.create` frame out, one JSON event per text frame back.

Connections are pooled per provider and reused for the next request once a response completed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from codetether.net import verify_for

BETA = "responses_websockets=2026-02-06"  # the handshake's OpenAI-Beta value (HTTP uses responses=experimental)
CLEAN_END = ("response.completed", "response.incomplete")
TERMINAL = (*CLEAN_END, "response.failed", "error")
_DROP = {"content-type", "content-length", "accept", "openai-beta"}
log = logging.getLogger(__name__)


class HandshakeRefused(Exception):
    """The server did not upgrade (status None: no connection at all); the caller falls back to HTTP SSE."""

    def __init__(self, status: int | None, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class StreamStalled(ConnectionError):
    """No event within the step timeout: retried like an HTTP read timeout (a ConnectionError to the caller)."""


class ResponsesSocketPool:
    """Idle WebSocket connections of one provider; `refused` turns on after a failed handshake.

    `timeout` (CODETETHER_STEP_TIMEOUT_SECS) bounds the wait for each event, as the HTTP read timeout does."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout
        self._idle: list[Any] = []
        self.refused: str | None = None
        self.connects = 0

    async def aclose(self) -> None:
        while self._idle:
            await self._idle.pop().close()

    async def events(self, url: str, body: bytes, headers: dict[str, str]) -> AsyncIterator[tuple[str, str]]:
        """Send one request; the events as (type, json) pairs like iter_sse yields them.

        Raises HandshakeRefused (nothing was sent) or ConnectionError (the connection broke)."""
        from websockets.exceptions import ConnectionClosed

        frame = '{"type":"response.create",' + body.decode()[1:]  # the HTTP body with the frame's type added
        conn, reused = await self._acquire(url, headers)
        try:
            first = await self._start(conn, frame)
        except ConnectionClosed:
            if not reused:
                raise ConnectionError("the WebSocket closed before the response started") from None
            conn = await self._connect(url, headers)  # a pooled connection the server had closed while idle
            try:
                first = await self._start(conn, frame)
            except ConnectionClosed:
                raise ConnectionError("the WebSocket closed before the response started") from None
        return self._read(conn, first)

    async def _start(self, conn: Any, frame: str) -> str | bytes:
        """Send the request and wait for its first event; on any failure (a cancel included) the socket is closed."""
        try:
            await conn.send(frame)
            return await self._recv(conn)
        except BaseException:
            await conn.close()
            raise

    async def _recv(self, conn: Any) -> str | bytes:
        try:
            async with asyncio.timeout(self.timeout):
                return await conn.recv()
        except TimeoutError:
            raise StreamStalled(f"no WebSocket event for {self.timeout:g} s (CODETETHER_STEP_TIMEOUT_SECS)") from None

    async def _read(self, conn: Any, message: str | bytes) -> AsyncIterator[tuple[str, str]]:
        from websockets.exceptions import ConnectionClosed

        pooled = False
        try:
            while True:
                text = message.decode() if isinstance(message, bytes) else message
                kind = _type(text)
                if kind in CLEAN_END:
                    self._idle.append(conn)  # done with this response: free for the next one
                    pooled = True
                yield kind, text
                if kind in TERMINAL:
                    return
                message = await self._recv(conn)
        except ConnectionClosed as exc:
            raise ConnectionError(f"the WebSocket closed mid-response ({exc.rcvd or 'no close frame'})") from None
        finally:
            if not pooled:
                await conn.close()

    async def _acquire(self, url: str, headers: dict[str, str]) -> tuple[Any, bool]:
        from websockets.protocol import State

        while self._idle:
            conn = self._idle.pop()
            if conn.state is State.OPEN:
                return conn, True
        return await self._connect(url, headers), False

    async def _connect(self, url: str, headers: dict[str, str]) -> Any:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

        ws_url = "ws" + url[len("http"):] if url.startswith("http") else url
        extra = {k: v for k, v in headers.items() if k.lower() not in _DROP}
        extra["OpenAI-Beta"] = BETA
        tls = {"ssl": verify_for(url)} if ws_url.startswith("wss://") else {}
        try:
            conn = await connect(ws_url, additional_headers=extra, open_timeout=15, max_size=64 * 2**20,
                                 compression=None, user_agent_header="codetether", close_timeout=2, **tls)
        except InvalidStatus as exc:
            status, text = exc.response.status_code, (exc.response.body or b"")[:200].decode("utf-8", "replace")
            raise self._refuse(status, f"HTTP {status} {text}".strip()) from None
        except (InvalidHandshake, InvalidURI, OSError, TimeoutError) as exc:
            raise self._refuse(None, f"{type(exc).__name__}: {exc}") from None
        self.connects += 1
        return conn

    def _refuse(self, status: int | None, reason: str) -> HandshakeRefused:
        if status != 401:  # 401 means a stale token, not a server without WebSockets
            self.refused = reason
            log.info("Responses WebSocket handshake failed (%s); using HTTP SSE for this session", reason)
        return HandshakeRefused(status, reason)


def _type(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return "message"  # the assembler reports the broken event
    return str(data.get("type") or "message") if isinstance(data, dict) else "message"
