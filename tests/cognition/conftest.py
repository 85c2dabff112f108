"""Run the real `serve` app (build_app with a cognition runtime) under uvicorn on 127.0.0.1 in a thread."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from codetether.a2a.executor import TaskSettings
from codetether.cognition.runtime import CognitionRuntime
from codetether.cognition.settings import CognitionSettings
from codetether.config.load import load
from codetether.server.app import build_app

INTERVAL_MS = 100  # the runtime's floor: the fastest loop there is
TOKEN = "cognition-token-0123456789abcdef"


@dataclass
class Served:
    url: str
    runtime: CognitionRuntime
    token: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=self._headers(), timeout=30)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        content = b"" if body is None else json.dumps(body).encode()
        headers = {**self._headers(), **({"Content-Type": "application/json"} if content else {})}
        return httpx.post(self.url + path, content=content, headers=headers, timeout=30)

    @contextlib.contextmanager
    def stream(self) -> Iterator[SSE]:
        with httpx.stream("GET", self.url + "/v1/cognition/stream", headers=self._headers(),
                          timeout=httpx.Timeout(30, read=20)) as resp:
            assert resp.status_code == 200, resp.read()
            assert resp.headers["content-type"].startswith("text/event-stream")
            sse = SSE(resp.iter_lines())
            assert next(sse.lines) == ": connected"  # subscribed: every later event will arrive
            yield sse


class SSE:
    """Reads `event:`/`data:` frames off an SSE body."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines

    def frames(self) -> Iterator[tuple[str, str]]:
        event = None
        for line in self.lines:
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                yield event, line[6:]
                event = None

    def events(self, n: int) -> list[dict[str, Any]]:
        out = []
        for kind, data in self.frames():
            assert kind == "cognition", (kind, data)
            out.append(json.loads(data))
            if len(out) == n:
                return out
        raise AssertionError(f"stream ended after {len(out)} of {n} events")


def settings(**env: str | int) -> CognitionSettings:
    """Test settings through the real env parser; auto-start off and the fastest interval unless given."""
    values = {"AUTO_START": "false", "LOOP_INTERVAL_MS": str(INTERVAL_MS), **{k: str(v) for k, v in env.items()}}
    return CognitionSettings.from_env({f"CODETETHER_COGNITION_{k}": v for k, v in values.items()})


@contextlib.contextmanager
def serve_cognition(runtime: CognitionRuntime, workspace: Path, token: str | None = None) -> Iterator[Served]:
    app = build_app(TaskSettings(load(), workspace), "http://localhost", token, cognition=runtime)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=3))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", runtime, token)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture
def workspace(tmp_path: Path, isolated_env) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
