"""A stand-in for the CodeTether platform's worker API (spec §11.2), written from the spec: registration, pending
tasks, the SSE task stream, claim, output, release and heartbeats. Records every request; tests enqueue tasks,
drop the stream or fake an outage. Stdlib only; never imports codetether."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from tests.harness.http_base import LocalServer, send_json


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int | None = None  # what the server answered


@dataclass
class TaskRecord:
    task: dict[str, Any]
    status: str = "pending"  # pending | claimed | completed | failed
    worker: str | None = None
    outputs: list[str] = field(default_factory=list)
    release: dict[str, Any] | None = None


class _Stream:
    """One connected SSE subscriber: events to send, and whether to cut it off."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.drop: str | None = None  # "abrupt" (reset the socket) | "close" (end the stream cleanly)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    platform: PlatformServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # disconnects are routine in these tests
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        p = self.server.platform
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        call = Call(self.command, url.path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        p._record(call)
        auth = call.headers.get("authorization", "")
        if p.outage is not None and url.path.startswith(p.outage_paths):
            return self._json(p.outage, {"detail": "platform_server: simulated outage"}, call)
        if p.token is not None and not auth.startswith("Bearer "):
            return self._json(401, {"detail": "Missing bearer token"}, call)
        if p.token is not None and auth[7:] != p.token:
            return self._json(403, {"detail": "Invalid token"}, call)
        if self.command == "GET" and url.path == "/v1/worker/tasks/stream":
            return self._stream(call)
        status, payload = p._route(call)
        self._json(status, payload, call)

    def _json(self, status: int, payload: Any, call: Call) -> None:
        call.status = status
        send_json(self, status, payload)

    def _stream(self, call: Call) -> None:
        p = self.server.platform
        if not p.sse:
            return self._json(404, {"detail": "Not Found"}, call)
        name = call.query.get("agent_name") or call.headers.get("x-agent-name")
        worker = call.query.get("worker_id") or call.headers.get("x-worker-id")
        if not name:
            return self._json(400, {"detail": "agent_name is required"}, call)
        call.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sub = p._subscribe(worker)
        try:
            self._send("connected", {"event": "connected", "worker_id": worker, "agent_name": name,
                                     "message": "connected", "timestamp": time.time()})
            while True:
                with p._cond:
                    p._cond.wait_for(lambda: sub.events or sub.drop or p._stopping, p.keepalive_secs)
                    events, sub.events = sub.events, []
                    drop = sub.drop or ("abrupt" if p._stopping else None)
                for name_, data in events:
                    self._send(name_, data)
                if drop == "abrupt":
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if drop == "close":
                    self.wfile.write(b"0\r\n\r\n")
                    self.close_connection = True
                    return
                if not events:
                    self._send("heartbeat", {"timestamp": time.time(), "worker_id": worker})
        except OSError:
            self.close_connection = True
        finally:
            p._unsubscribe(sub)

    def _send(self, event: str, data: dict[str, Any]) -> None:
        chunk = f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
        self.wfile.write(b"%X\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.flush()


class PlatformServer(LocalServer):
    """The platform on 127.0.0.1; a context manager. `token` set: requests need `Authorization: Bearer <token>`."""

    def __init__(self, token: str | None = None, sse: bool = True, redeliver: bool = False,
                 wrap_pending: bool = True, keepalive_secs: float = 0.5):
        self.token, self.sse, self.redeliver, self.wrap_pending = token, sse, redeliver, wrap_pending
        self.keepalive_secs = keepalive_secs
        self.outage: int | None = None  # answer every request with this status (e.g. 503) while set ...
        self.outage_paths: tuple[str, ...] = ("/",)  # ... whose path starts with one of these
        self.calls: list[Call] = []
        self.tasks: dict[str, TaskRecord] = {}
        self._streams: list[_Stream] = []
        self._cond = threading.Condition()
        self._stopping = False

    def start(self) -> Self:
        self._stopping = False
        return self._serve(_Handler, _HTTPServer, platform=self)

    def stop(self) -> None:
        with self._cond:  # wakes the SSE streams so they end before the server shuts down
            self._stopping = True
            self._cond.notify_all()
        httpd = self._httpd
        super().stop()
        self._httpd = httpd  # closed, but `url` stays readable: tests quote it after the with block

    # -- test controls ----------------------------------------------------------------------------------------

    def enqueue(self, task_id: str, prompt: str, **fields: Any) -> None:
        """Add a pending task and announce it to every connected stream (`task_available`)."""
        task = {"id": task_id, "title": prompt[:40], "prompt": prompt, "status": "pending", **fields}
        with self._cond:
            self.tasks[task_id] = TaskRecord(task)
            for sub in self._streams:
                sub.events.append(("task_available", task))
            self._cond.notify_all()

    # Each kind of task the platform sends (spec §11.5-11.7): the fields and metadata a real platform uses.

    def enqueue_swarm(self, task_id: str, prompt: str, agent_type: str = "swarm", **swarm: Any) -> None:
        """A swarm task; `swarm` goes to metadata.swarm (max_subagents, strategy, timeout_secs, ...)."""
        self.enqueue(task_id, prompt, agent_type=agent_type, metadata={"swarm": swarm} if swarm else {})

    def enqueue_ralph(self, task_id: str, prompt: str, prd: dict[str, Any] | None = None, **metadata: Any) -> None:
        """A Ralph task carrying its PRD (metadata.prd), or naming one (prd_path), or only describing the feature."""
        self.enqueue(task_id, prompt, agent_type="ralph", metadata={**({"prd": prd} if prd else {}), **metadata})

    def enqueue_tiered(self, task_id: str, prompt: str, tier: str | None = None, complexity: str | None = None,
                       **fields: Any) -> None:
        """A task that names a model tier (metadata.model_tier) or a complexity (metadata.routing.complexity)."""
        metadata: dict[str, Any] = {"model_tier": tier} if tier else {}
        if complexity:
            metadata["routing"] = {"complexity": complexity}
        self.enqueue(task_id, prompt, metadata=metadata, **fields)

    def enqueue_resume(self, task_id: str, prompt: str, session_id: str, **fields: Any) -> None:
        """A follow-up task continuing an earlier task's session (metadata.resume_session_id)."""
        self.enqueue(task_id, prompt, metadata={"resume_session_id": session_id}, **fields)

    def peak_in_flight(self) -> int:
        """The most tasks claimed and not yet reported at any moment: how many ran at once."""
        now = peak = 0
        with self._cond:
            for call in self.calls:
                if call.status == 200 and call.method == "POST" and call.path == "/v1/worker/tasks/claim":
                    now += 1
                elif call.status == 200 and call.method == "POST" and call.path == "/v1/worker/tasks/release":
                    now -= 1
                peak = max(peak, now)
        return peak

    def drop_streams(self, abrupt: bool = True) -> int:
        """Cut every connected task stream; returns how many were cut."""
        with self._cond:
            for sub in self._streams:
                sub.drop = "abrupt" if abrupt else "close"
            self._cond.notify_all()
            return len(self._streams)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition",
                 alive: Callable[[], bool] | None = None) -> Any:
        """Wait until `predicate()` is truthy; give up early once `alive()` (the client process) is false."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (value := predicate()):
                left = deadline - time.monotonic()
                if left <= 0 or (alive is not None and not alive()):
                    why = "timed out" if left <= 0 else "the client exited"
                    raise TimeoutError(f"platform_server: {why} waiting for {what}; calls: {self.summary()}")
                self._cond.wait(min(left, 0.1))
            return value

    def calls_to(self, method: str, path_prefix: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]

    def releases(self, task_id: str | None = None, accepted: bool = False) -> list[Call]:
        """Release (result report) requests; `accepted`: only those answered 200."""
        return self._for_task("/v1/worker/tasks/release", task_id, accepted)

    def claims(self, task_id: str | None = None, accepted: bool = False) -> list[Call]:
        return self._for_task("/v1/worker/tasks/claim", task_id, accepted)

    def _for_task(self, path: str, task_id: str | None, accepted: bool) -> list[Call]:
        return [c for c in self.calls_to("POST", path) if (not accepted or c.status == 200)
                and (task_id is None or (isinstance(c.body, dict) and c.body.get("task_id") == task_id))]

    def summary(self) -> list[str]:
        return [f"{c.method} {c.path}" for c in self.calls[-40:]]

    @property
    def connected_streams(self) -> int:
        with self._cond:
            return len(self._streams)

    # -- request handling (server threads) --------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _subscribe(self, worker: str | None) -> _Stream:
        sub = _Stream()
        with self._cond:
            if self.redeliver:  # at-least-once delivery: every known task again, claimed or not
                sub.events += [("task_available", dict(r.task)) for r in self.tasks.values()]
            self._streams.append(sub)
            self._cond.notify_all()
        return sub

    def _unsubscribe(self, sub: _Stream) -> None:
        with self._cond:
            if sub in self._streams:
                self._streams.remove(sub)
            self._cond.notify_all()

    def _route(self, call: Call) -> tuple[int, Any]:
        body = call.body if isinstance(call.body, dict) else {}
        worker = call.headers.get("x-worker-id") or body.get("worker_id")
        path, method = call.path, call.method
        with self._cond:
            if method == "POST" and path == "/v1/opencode/workers/register":
                return (200, {"ok": True}) if body.get("worker_id") else (400, {"detail": "worker_id is required"})
            if method == "POST" and path.startswith("/v1/opencode/workers/") and path.endswith("/heartbeat"):
                return 200, {"ok": True}
            if method == "GET" and path == "/v1/opencode/tasks":
                pending = [dict(r.task) for r in self.tasks.values()
                           if r.status == "pending" or (self.redeliver and r.status == "claimed")]
                return 200, {"tasks": pending} if self.wrap_pending else pending
            if method == "POST" and path == "/v1/worker/tasks/claim":
                record = self.tasks.get(str(body.get("task_id")))
                if not worker:
                    return 400, {"detail": "X-Worker-ID header is required"}
                if record is None:
                    return 404, {"detail": "Task not found"}
                if record.status == "pending" or (record.status == "claimed" and record.worker == worker):
                    record.status, record.worker = "claimed", worker
                    return 200, {"ok": True, "task_id": record.task["id"]}
                return 409, {"detail": "Task already claimed"}
            if method == "POST" and path.startswith("/v1/opencode/tasks/") and path.endswith("/output"):
                record = self.tasks.get(unquote(path.split("/")[4]))
                if record is None:
                    return 404, {"detail": "Task not found"}
                record.outputs.append(str(body.get("output", "")))
                return 200, {"ok": True}
            if method == "POST" and path == "/v1/worker/tasks/release":
                record = self.tasks.get(str(body.get("task_id")))
                if record is None or record.status != "claimed" or record.worker != worker:
                    return 404, {"detail": "Task not claimed by this worker"}
                record.status, record.release = str(body.get("status", "completed")), body
                return 200, {"ok": True}
        return 404, {"detail": f"platform_server: no route for {method} {path}"}
