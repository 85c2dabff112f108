"""stdio for the protocol alone: newline-delimited JSON-RPC messages in and out, checked before the SDK's
Connection sees them.

The SDK's own stdio transport logs and skips a line that is not JSON and chokes on a message that is not an
object, so a client waits forever; here such input gets the JSON-RPC error it deserves (-32700 / -32600) and the
connection goes on. Sends after the client has gone are dropped instead of queued forever.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import threading
from typing import Any

MAX_DETAIL = 200


class CheckedTransport:
    """The SDK's Transport protocol (send, receive, close) on a stream pair."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader, self._writer = reader, writer
        self._lock = asyncio.Lock()
        self._closed = False

    async def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
        async with self._lock:
            if self._closed:
                return
            try:
                self._writer.write(data)
                await self._writer.drain()
            except (ConnectionError, OSError, RuntimeError):  # the client closed our stdout: it is gone
                self._closed = True

    async def receive(self) -> dict[str, Any] | None:
        while True:
            line = await self._read_line()
            if not line:
                return None
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
                await self.send(error_response(None, -32700, "Parse error", _why(exc)))
                continue
            problem = invalid_request(message)
            if problem is None:
                return message
            request_id = message.get("id") if isinstance(message, dict) else None
            await self.send(error_response(request_id if _valid_id(request_id) else None, -32600,
                                           "Invalid request", problem))

    async def close(self) -> None:
        async with self._lock:
            if not self._closed:
                self._closed = True
                self._writer.close()

    async def _read_line(self) -> bytes:
        """One line however long (a line past the buffer limit is read in pieces); b"" at the end of input."""
        pieces: list[bytes] = []
        while True:
            try:
                pieces.append(await self._reader.readuntil(b"\n"))
                return b"".join(pieces)
            except asyncio.LimitOverrunError as exc:
                pieces.append(await self._reader.readexactly(exc.consumed))
            except asyncio.IncompleteReadError as exc:
                pieces.append(exc.partial)
                return b"".join(pieces)


def invalid_request(message: Any) -> str | None:
    """What makes `message` not a JSON-RPC 2.0 request, notification or response; None when it is one."""
    if not isinstance(message, dict):
        return "a message must be a JSON object (batches are not part of ACP)"
    if message.get("jsonrpc") != "2.0":
        return 'a message must have "jsonrpc": "2.0"'
    if "id" in message and not _valid_id(message["id"]):
        return '"id" must be a string, an integer or null'
    if "method" in message:
        if not isinstance(message["method"], str) or not message["method"]:
            return '"method" must be a non-empty string'
        if message.get("params") is not None and not isinstance(message["params"], dict):
            return '"params" must be an object'
        return None
    if "id" in message and ("result" in message or "error" in message):
        return None
    return 'a message needs a "method" (request or notification) or an "id" with "result" or "error" (response)'


def error_response(request_id: Any, code: int, message: str, detail: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message,
                                                          "data": {"details": detail}}}


def _valid_id(value: Any) -> bool:
    return value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _why(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "the JSON is nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at char {exc.pos}"
    return f"not valid JSON: {str(exc)[:MAX_DETAIL]}"


async def stdio_transport() -> CheckedTransport:
    """A transport on stdin/stdout; fd 1 is then pointed at stderr, so stray prints and children never reach
    the client: stdout carries protocol messages only."""
    loop = asyncio.get_running_loop()
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    if _is_pipe(0):
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    else:  # a file, a terminal or /dev/null (`codetether acp < requests.jsonl`): no event-loop pipe for those
        _feed_from_thread(loop, reader)
    write_protocol = _WriteProtocol()
    if _is_pipe(protocol_out.fileno()):
        transport, _ = await loop.connect_write_pipe(lambda: write_protocol, protocol_out)
    else:
        transport = _BlockingWrite(protocol_out)
    return CheckedTransport(reader, asyncio.StreamWriter(transport, write_protocol, None, loop))


def _is_pipe(fd: int) -> bool:
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class _WriteProtocol(asyncio.BaseProtocol):
    """Flow control for the stdout pipe, so StreamWriter.drain waits while the client is not reading."""

    def __init__(self) -> None:
        self._paused: asyncio.Future[None] | None = None

    def pause_writing(self) -> None:
        self._paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._paused is not None and not self._paused.done():
            self._paused.set_result(None)
        self._paused = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.resume_writing()

    async def _drain_helper(self) -> None:
        if self._paused is not None:
            await self._paused


class _BlockingWrite(asyncio.WriteTransport):
    """stdout redirected to a file or a terminal: plain writes, which never wait long there."""

    def __init__(self, out: Any):
        super().__init__()
        self._out, self._closing = out, False

    def write(self, data: bytes) -> None:
        if not self._closing:
            self._out.write(data)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True


def _feed_from_thread(loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader) -> None:
    def pump() -> None:
        try:
            while data := sys.stdin.buffer.read1(65536):
                loop.call_soon_threadsafe(reader.feed_data, data)
        except (OSError, ValueError):
            pass
        finally:
            loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, name="acp-stdin", daemon=True).start()
