"""The OpenAI Responses API over WebSocket on 127.0.0.1, scripted like llm_server: stdlib only (RFC 6455).

Each client text frame `{"type": "response.create", ...body}` is answered with the same events the SSE stream
carries (wire_extra.responses_turn), one JSON event per text frame. Never imports codetether."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
from collections import deque
from socketserver import StreamRequestHandler, ThreadingTCPServer
from typing import Any, Self

from tests.harness.http_base import LocalServer
from tests.harness.wire import HttpError, Reply
from tests.harness.wire_extra import responses_turn

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def read_frame(rfile: Any) -> tuple[int, bytes]:
    """One client frame (clients must mask); fragmented messages are not used by the client under test."""
    head = rfile.read(2)
    if len(head) < 2:
        raise ConnectionError("client went away")
    opcode, masked, length = head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
    if length == 126:
        length = struct.unpack(">H", rfile.read(2))[0]
    elif length == 127:
        length = struct.unpack(">Q", rfile.read(8))[0]
    if not masked:
        raise ConnectionError("unmasked client frame (RFC 6455 5.1)")
    mask = rfile.read(4)
    data = rfile.read(length)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def frame(opcode: int, payload: bytes) -> bytes:
    """A final, unmasked server frame."""
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack(">H", n)
    else:
        head += bytes([127]) + struct.pack(">Q", n)
    return head + payload


class Stall:
    """A script item: send the first `events` events of `reply` (none by default), then go silent."""

    def __init__(self, reply: Reply | None = None, events: int = 0):
        self.reply, self.events = reply or Reply(text="never sent"), events


class _TCPServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class WSResponsesServer(LocalServer):
    """`refuse_status` answers every handshake with that HTTP status instead of 101."""

    def __init__(self) -> None:
        self.script: deque[Reply | HttpError | Stall] = deque()
        self.refuse_status: int | None = None
        self.handshakes: list[dict[str, Any]] = []  # path + lower-case headers of every upgrade request
        self.frames: list[dict[str, Any]] = []  # every request frame, parsed
        self.closed = 0  # connections that ended (client close or disconnect)
        self._lock = threading.Lock()

    def start(self) -> Self:
        owner = self

        class Handler(StreamRequestHandler):
            def handle(self) -> None:
                try:
                    owner._session(self)
                except (ConnectionError, OSError):
                    pass
                finally:
                    with owner._lock:
                        owner.closed += 1

        return self._serve(Handler, _TCPServer)

    def _session(self, h: StreamRequestHandler) -> None:
        request_line = h.rfile.readline().decode("latin-1").split()
        headers: dict[str, str] = {}
        while (line := h.rfile.readline().decode("latin-1").strip()):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        with self._lock:
            self.handshakes.append({"path": request_line[1] if len(request_line) > 1 else "", "headers": headers})
        key = headers.get("sec-websocket-key")
        status = self.refuse_status or (400 if headers.get("upgrade", "").lower() != "websocket" or not key or
                                        headers.get("sec-websocket-version") != "13" else None)
        if status:
            body = json.dumps({"error": {"message": "no websockets here"}}).encode()
            h.wfile.write(f"HTTP/1.1 {status} Refused\r\nContent-Type: application/json\r\nContent-Length: "
                          f"{len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            return
        accept = base64.b64encode(hashlib.sha1((str(key) + GUID).encode()).digest()).decode()
        h.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        while True:
            opcode, payload = read_frame(h.rfile)
            if opcode == CLOSE:
                h.wfile.write(frame(CLOSE, payload[:2]))
                h.connection.shutdown(socket.SHUT_WR)
                return
            if opcode == PING:
                h.wfile.write(frame(PONG, payload))
            elif opcode == TEXT:
                self._answer(h, json.loads(payload.decode()))

    def _answer(self, h: StreamRequestHandler, request: dict[str, Any]) -> None:
        with self._lock:
            self.frames.append(request)
            turn = len(self.frames)
            item = self.script.popleft() if self.script else HttpError(500, "ws_server: script exhausted")
        if isinstance(item, HttpError):
            event = {"type": "error", "status": item.status, "error": {"message": str(item.body)}}
            h.wfile.write(frame(TEXT, json.dumps(event).encode()))
            return
        limit = item.events if isinstance(item, Stall) else None
        item = item.reply if isinstance(item, Stall) else item
        usage = item.usage or (10, 5)
        for n, chunk in enumerate(responses_turn(item, {**request, "stream": True}, turn, usage)):
            if n == limit:
                return  # stalled: nothing more for this request
            data = next(line[6:] for line in chunk.splitlines() if line.startswith("data: "))
            h.wfile.write(frame(TEXT, data.encode()))
