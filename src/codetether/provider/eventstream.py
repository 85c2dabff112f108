"""A decoder for AWS event-stream framing (Bedrock's converse-stream): prelude, headers, payload, CRCs."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import AsyncIterator

from codetether.provider.errors import ProviderProtocolError

# Header value type -> fixed size; types 6 (bytes) and 7 (string) carry a 2-byte length instead.
_FIXED = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
MAX_MESSAGE = 16 * 1024 * 1024


def parse_headers(raw: bytes) -> dict[str, object]:
    headers: dict[str, object] = {}
    i = 0
    while i < len(raw):
        n = raw[i]
        name = raw[i + 1:i + 1 + n].decode()
        kind = raw[i + 1 + n]
        i += 2 + n
        if kind in (6, 7):
            (size,) = struct.unpack(">H", raw[i:i + 2])
            value: object = raw[i + 2:i + 2 + size]
            headers[name] = value.decode() if kind == 7 else value  # type: ignore[union-attr]
            i += 2 + size
        elif kind in _FIXED:
            headers[name] = kind == 0 if kind in (0, 1) else raw[i:i + _FIXED[kind]]
            i += _FIXED[kind]
        else:
            raise ProviderProtocolError(f"sent an event-stream header of unknown type {kind}")
    return headers


def decode_message(frame: bytes) -> tuple[dict[str, object], bytes]:
    """One complete frame -> (headers, payload), after checking both CRCs."""
    total, header_len, prelude_crc = struct.unpack(">III", frame[:12])
    if zlib.crc32(frame[:8]) != prelude_crc:
        raise ProviderProtocolError("sent an event-stream frame whose prelude checksum is wrong")
    if zlib.crc32(frame[:total - 4]) != struct.unpack(">I", frame[total - 4:total])[0]:
        raise ProviderProtocolError("sent an event-stream frame whose message checksum is wrong")
    return parse_headers(frame[12:12 + header_len]), frame[12 + header_len:total - 4]


async def iter_messages(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[dict[str, object], bytes]]:
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= 12:
            (total,) = struct.unpack(">I", buffer[:4])
            if total < 16 or total > MAX_MESSAGE:
                raise ProviderProtocolError(f"sent an event-stream frame of impossible length {total}")
            if len(buffer) < total:
                break
            yield decode_message(buffer[:total])
            buffer = buffer[total:]
    if buffer:
        raise ProviderProtocolError("ended the event stream in the middle of a frame")


async def iter_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, str]]:
    """(event type, JSON payload) pairs; exceptions come as ("exception", {"type", "message"})."""
    async for headers, payload in iter_messages(chunks):
        if headers.get(":message-type") == "exception" or headers.get(":message-type") == "error":
            kind = headers.get(":exception-type") or headers.get(":error-code") or "error"
            try:
                message = json.loads(payload or b"{}").get("message", "")
            except ValueError:
                message = payload.decode("utf-8", "replace")
            yield "exception", json.dumps({"type": kind, "message": message})
        else:
            yield str(headers.get(":event-type") or "message"), payload.decode("utf-8", "replace")
