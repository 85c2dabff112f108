"""More provider wire formats for the scripted LLM server: Bedrock Converse (JSON and AWS event-stream frames),
the OpenAI Responses API (JSON and SSE), and an independent SigV4 verifier written from AWS's published algorithm.

Stdlib only, free of I/O, never imports codetether.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote

try:
    from .wire import Reply, _pieces, _sse
except ImportError:  # run as a script beside wire.py
    from wire import Reply, _pieces, _sse  # type: ignore[no-redef]


# --- AWS event-stream -------------------------------------------------------------------------------------------

def _string_header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return bytes([len(n)]) + n + b"\x07" + struct.pack(">H", len(v)) + v


def event_frame(event_type: str, payload: dict[str, Any], message_type: str = "event") -> bytes:
    """One event-stream message: prelude (lengths + CRC), string headers, JSON payload, message CRC."""
    kind = ":exception-type" if message_type == "exception" else ":event-type"
    headers = (_string_header(kind, event_type) + _string_header(":content-type", "application/json")
               + _string_header(":message-type", message_type))
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack(">I", zlib.crc32(message))


def _bedrock_input(arguments: dict[str, Any] | str) -> Any:
    if isinstance(arguments, dict):
        return arguments
    try:
        return json.loads(arguments)
    except ValueError:
        return {}


def bedrock_turn(reply: Reply, turn: int, usage: tuple[int, int], stream: bool) -> dict | Iterator[bytes]:
    ids = [c.id or f"tooluse_{turn}_{i}" for i, c in enumerate(reply.tool_calls)]
    stop = reply.anthropic_stop  # Converse uses the same words (max_tokens, tool_use, end_turn)
    usage_obj = {"inputTokens": usage[0], "outputTokens": usage[1], "totalTokens": usage[0] + usage[1]}
    if not stream:
        content: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
        content += [{"toolUse": {"toolUseId": cid, "name": c.name, "input": _bedrock_input(c.arguments)}}
                    for cid, c in zip(ids, reply.tool_calls)]
        return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
                "usage": usage_obj, "metrics": {"latencyMs": 1}}
    return _bedrock_stream(reply, ids, stop, usage_obj)


def _bedrock_stream(reply: Reply, ids: list[str], stop: str, usage_obj: dict[str, int]) -> Iterator[bytes]:
    yield event_frame("messageStart", {"role": "assistant"})
    index = 0
    if reply.text:
        for piece in _pieces(reply.text):
            yield event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
        yield event_frame("contentBlockStop", {"contentBlockIndex": 0})
        index = 1
    for i, (cid, call) in enumerate(zip(ids, reply.tool_calls), start=index):
        yield event_frame("contentBlockStart", {"contentBlockIndex": i,
                                                "start": {"toolUse": {"toolUseId": cid, "name": call.name}}})
        for piece in _pieces(call.arguments_json):
            yield event_frame("contentBlockDelta", {"contentBlockIndex": i, "delta": {"toolUse": {"input": piece}}})
        yield event_frame("contentBlockStop", {"contentBlockIndex": i})
    yield event_frame("messageStop", {"stopReason": stop})
    yield event_frame("metadata", {"usage": usage_obj, "metrics": {"latencyMs": 1}})


# --- OpenAI Responses API ---------------------------------------------------------------------------------------

def responses_turn(reply: Reply, body: dict[str, Any], turn: int, usage: tuple[int, int]) -> dict | Iterator[str]:
    ids = [c.id or f"call_{turn}_{i}" for i, c in enumerate(reply.tool_calls)]
    output: list[dict[str, Any]] = []
    if reply.text:
        output.append({"type": "message", "id": f"msg_{turn}", "status": "completed", "role": "assistant",
                       "content": [{"type": "output_text", "text": reply.text, "annotations": []}]})
    output += [{"type": "function_call", "id": f"fc_{turn}_{i}", "call_id": cid, "name": c.name,
                "arguments": c.arguments_json, "status": "completed"}
               for i, (cid, c) in enumerate(zip(ids, reply.tool_calls))]
    response = {"id": f"resp_{turn}", "object": "response", "status": "completed",
                "model": body.get("model") or "scripted-model", "output": output,
                "usage": {"input_tokens": usage[0], "output_tokens": usage[1], "total_tokens": sum(usage)}}
    return _responses_stream(response) if body.get("stream") else response


def _responses_stream(response: dict[str, Any]) -> Iterator[str]:
    def event(kind: str, **payload: Any) -> str:
        return _sse({"type": kind, **payload}, kind)

    yield event("response.created", response={**response, "status": "in_progress", "output": [], "usage": None})
    for index, item in enumerate(response["output"]):
        if item["type"] == "message":
            yield event("response.output_item.added", output_index=index, item={**item, "content": []})
            text = item["content"][0]["text"]
            for piece in _pieces(text):
                yield event("response.output_text.delta", output_index=index, content_index=0, delta=piece)
            yield event("response.output_text.done", output_index=index, content_index=0, text=text)
        else:
            yield event("response.output_item.added", output_index=index, item={**item, "arguments": ""})
            for piece in _pieces(item["arguments"]):
                yield event("response.function_call_arguments.delta", output_index=index, item_id=item["id"],
                            delta=piece)
            yield event("response.function_call_arguments.done", output_index=index, arguments=item["arguments"])
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=response)


# --- SigV4 verification -----------------------------------------------------------------------------------------

def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def verify_sigv4(method: str, raw_path: str, headers: dict[str, str], body: bytes,
                 secrets: dict[str, str]) -> str | None:
    """None if the request carries a valid AWS4-HMAC-SHA256 signature by a known key, else why not.

    ``headers`` has lower-case names; ``raw_path`` is the path and query exactly as received."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "the request is not SigV4-signed"
    try:
        fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        key_id, date, region, service, terminal = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except (KeyError, ValueError):
        return "the Authorization header is malformed"
    if key_id not in secrets:
        return f"unknown access key {key_id}"
    if terminal != "aws4_request" or "host" not in signed or "x-amz-date" not in signed:
        return "the signature scope or signed headers are incomplete"
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(date):
        return "x-amz-date does not match the credential scope"
    if "x-amz-security-token" in headers and "x-amz-security-token" not in signed:
        return "the session token is not signed"
    path, _, query = raw_path.partition("?")
    canonical_uri = quote(path, safe="/~")  # every service but S3 encodes the (already encoded) path again
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    missing = [h for h in signed if h not in headers]
    if missing:
        return f"signed headers missing from the request: {missing}"
    canonical_headers = "".join(f"{h}:{' '.join(headers[h].split())}\n" for h in signed)
    canonical = "\n".join([method, canonical_uri, canonical_query, canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, f"{date}/{region}/{service}/aws4_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + secrets[key_id]).encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "The request signature we calculated does not match the signature you provided"
    return None
