"""Scripted LLM server speaking the OpenAI Chat Completions, Anthropic Messages, OpenAI Responses and Bedrock Converse wire protocols.

A test-only stand-in for real providers: stdlib only, never imports codetether, also runs standalone (``main``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

if __package__ in (None, ""):  # run as a script (python tests/harness/llm_server.py): import as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.harness.wire import (
    HttpError,
    Reply,
    ScriptItem,
    Stall,
    ToolCall,
    anthropic_turn,
    error_body,
    openai_turn,
    parse_reply,
)
from tests.harness.wire_extra import bedrock_turn, responses_turn, verify_sigv4

__all__ = ["HttpError", "LLMServer", "RecordedRequest", "Reply", "ScriptItem", "Stall", "ToolCall", "parse_reply"]


@dataclass
class RecordedRequest:
    """One received request; ``body`` is parsed JSON (raw text if not JSON, None if empty)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw_bytes: int
    # time.perf_counter() once the body was read, and once the response was written (None: unanswered);
    # benchmarks use them to time the client's own work between a reply and its next request.
    received: float = 0.0
    answered: float | None = None

    def __getitem__(self, key: str) -> Any:  # records read like dicts too: req["body"]
        return getattr(self, key)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 drops connections a burst opens at once (a 1 s SYN retry each)
    llm: LLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # client disconnects are routine in tests
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as real APIs do: a body written after its headers goes out at once, not 40 ms later
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.server.llm._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.llm._track(self.connection, False)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._rec = self.server.llm._record(self.command, self.path, dict(self.headers.items()), raw)
        body = self._rec.body
        route = self.path.split("?", 1)[0].rstrip("/")
        tokens = self.server.llm.bearer_tokens
        if tokens and self.headers.get("Authorization", "") not in {f"Bearer {t}" for t in list(tokens)}:
            unauthenticated = {"code": 401, "status": "UNAUTHENTICATED",
                               "message": "Request had invalid authentication credentials."}
            return self._json(401, {"error": unauthenticated})  # Google's shape for a bad OAuth token
        if self.command == "GET" and route.endswith("/models"):
            models = [{"id": "scripted-model", "object": "model", "created": 0, "owned_by": "llm_server"}]
            self._json(200, {"object": "list", "data": models})
        elif self.command == "POST" and route.endswith("/chat/completions"):
            self._model_turn("openai", body if isinstance(body, dict) else {}, len(raw))
        elif self.command == "POST" and route.endswith(("/messages", ":rawPredict", ":streamRawPredict")):
            # Vertex AI serves Claude at .../publishers/anthropic/models/M:rawPredict (:streamRawPredict).
            self._model_turn("anthropic", body if isinstance(body, dict) else {}, len(raw))
        elif self.command == "POST" and route.endswith("/responses"):
            self._model_turn("responses", body if isinstance(body, dict) else {}, len(raw))
        elif self.command == "POST" and route.endswith(("/converse", "/converse-stream")):
            reason = self._sigv4_problem(raw)
            if reason:
                return self._json(403, {"message": reason})
            stream = "bedrock-stream" if route.endswith("-stream") else "bedrock"
            self._model_turn(stream, body if isinstance(body, dict) else {}, len(raw))
        else:
            self._json(404, error_body("openai", 404, f"llm_server: no route for {self.command} {route}"))

    def _model_turn(self, dialect: str, body: dict[str, Any], raw_len: int) -> None:
        llm = self.server.llm
        turn, item = llm._next(body)
        while isinstance(item, Stall):
            if llm._stopping.wait(item.seconds):
                self.close_connection = True  # server is stopping: drop the request unanswered
                return
            item = item.then or llm._next()[1]
        if item is None:
            msg = "llm_server: script exhausted (no reply queued and no default_reply)"
            return self._json(500, error_body(dialect, 500, msg))
        if isinstance(item, HttpError):
            payload = item.body if item.body is not None else error_body(dialect, item.status, "scripted error")
            return self._json(item.status, payload, item.headers)
        out_len = len(item.text) + sum(len(c.name) + len(c.arguments_json) for c in item.tool_calls)
        usage = item.usage or (max(1, raw_len // 4), max(1, out_len // 4))  # rough 4-bytes-a-token estimate
        if dialect.startswith("bedrock"):
            answer: Any = bedrock_turn(item, turn, usage, dialect == "bedrock-stream")
        else:
            turns = {"openai": openai_turn, "anthropic": anthropic_turn, "responses": responses_turn}
            answer = turns[dialect](item, body, turn, usage)
        if isinstance(answer, dict):
            self._json(200, answer)
        else:
            self._stream(answer, "application/vnd.amazon.eventstream" if dialect.startswith("bedrock") else None,
                         item.pace)

    def _answered(self) -> None:
        rec = getattr(self, "_rec", None)
        if rec is not None:
            rec.answered = time.perf_counter()

    def _sigv4_problem(self, raw: bytes) -> str | None:
        """With aws_credentials set, Bedrock requests must be SigV4-signed by one of them (checked independently)."""
        creds = self.server.llm.aws_credentials
        if not creds:
            return None
        headers = {k.lower(): v for k, v in self.headers.items()}
        return verify_sigv4(self.command, self.path, headers, raw, creds)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self._answered()

    def _stream(self, events: Iterator[str] | Iterator[bytes], content_type: str | None = None,
                pace: float = 0.0) -> None:
        # Chunked like the real APIs, so HTTP/1.1 keep-alive keeps working after a stream.
        self.send_response(200)
        self.send_header("Content-Type", content_type or "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for text in events:
                data = text if isinstance(text, bytes) else text.encode()
                self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
                if pace and self.server.llm._stopping.wait(pace):
                    break  # the server is stopping: end the stream early
            self.wfile.write(b"0\r\n\r\n")
            self._answered()
        except OSError:
            self.close_connection = True  # client went away mid-stream: nothing to report


class LLMServer:
    """Scripted OpenAI/Anthropic-compatible server on 127.0.0.1; a context manager, or start()/stop()."""

    def __init__(self, port: int = 0, default_reply: ScriptItem | None = None, log_path: str | None = None):
        self.default_reply = default_reply
        # Answers a model request from its parsed body before the script is consulted; None falls through.
        # For requests whose position in a run is not fixed (e.g. context summaries).
        self.router: Callable[[dict[str, Any]], ScriptItem | None] | None = None
        # Bedrock routes: access key id -> secret key; when set, unsigned or badly signed requests get 403.
        self.aws_credentials: dict[str, str] = {}
        # OAuth access tokens accepted as `Authorization: Bearer ...`; when non-empty, any other request gets 401.
        self.bearer_tokens: set[str] = set()
        self.port = port
        self._log_path = log_path
        self._cond = threading.Condition()
        self._script: deque[ScriptItem] = deque()
        self._requests: list[RecordedRequest] = []
        self._conns: set[socket.socket] = set()
        self._turns = 0
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.llm = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="llm-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes stalled handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:  # also end keep-alive and in-flight connections, like a dying server would
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url_openai(self) -> str:
        return self.url + "/v1"

    @property
    def base_url_anthropic(self) -> str:
        return self.url

    def script(self, *replies: ScriptItem) -> Self:
        """Queue replies; each model request consumes the next one."""
        with self._cond:
            self._script.extend(replies)
        return self

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._script)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest | None:
        with self._cond:
            return self._requests[-1] if self._requests else None

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``n`` requests were received; raise TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._requests) >= n, timeout):
                raise TimeoutError(f"llm_server: expected {n} requests, got {len(self._requests)}")
            return list(self._requests)

    def _next(self, body: dict[str, Any] | None = None) -> tuple[int, ScriptItem | None]:
        routed = self.router(body) if self.router is not None and body is not None else None
        with self._cond:
            self._turns += 1
            if routed is not None:
                return self._turns, routed
            return self._turns, self._script.popleft() if self._script else self.default_reply

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._cond:
            (self._conns.add if add else self._conns.discard)(conn)

    def _record(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> RecordedRequest:
        text = raw.decode("utf-8", "replace")
        try:
            body = json.loads(text) if raw else None
        except ValueError:
            body = text
        rec = RecordedRequest(method, path, {k.lower(): v for k, v in headers.items()}, body, len(raw),
                              time.perf_counter())
        with self._cond:
            self._requests.append(rec)
            if self._log_path:
                with open(self._log_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(asdict(rec)) + "\n")
            self._cond.notify_all()
        return rec


def main(argv: list[str] | None = None) -> int:
    """Run standalone: print ``LISTENING <url>`` once ready, serve until SIGTERM/SIGINT."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", help="JSON file holding a list of reply objects")
    ap.add_argument("--log", help="append every request as one JSON line to this file")
    ap.add_argument("--default-text", help="answer with this text once the script is exhausted (else 500)")
    args = ap.parse_args(argv)
    default = Reply(args.default_text) if args.default_text is not None else None
    server = LLMServer(args.port, default, args.log)
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            server.script(*(parse_reply(obj) for obj in json.load(f)))
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    with server:
        print(f"LISTENING {server.url}", flush=True)
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
