"""HTTP client for the platform's worker endpoints (spec §11.2): register, pending tasks, task stream, claim,
output, release and heartbeat. Transport failures and refusals become PlatformError subclasses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx

from codetether import __version__
from codetether.errors import CodetetherError
from codetether.net import async_client
from codetether.provider.sse import iter_sse
from codetether.secrets.redact import redact

REGISTER = "/v1/opencode/workers/register"
PENDING = "/v1/opencode/tasks"
STREAM = "/v1/worker/tasks/stream"
CLAIM = "/v1/worker/tasks/claim"
RELEASE = "/v1/worker/tasks/release"
CAPABILITIES = ["ralph", "swarm", "rlm", "a2a", "mcp"]  # as the seed registers: its task kinds and tools
STREAM_IDLE_SECS = 120.0  # the platform sends an SSE heartbeat every 30 s: this much silence means a dead link


class PlatformError(CodetetherError):
    """The platform could not be used for this request; the worker retries these."""


class PlatformUnreachable(PlatformError):
    pass


class PlatformAuthError(PlatformError):
    """401/403: retrying with the same token cannot help."""


class StreamUnsupported(PlatformError):
    """The platform has no SSE task stream; the worker polls instead."""


class PlatformClient:
    def __init__(self, server: str, token: str | None, worker_id: str, name: str, workspaces: list[str]):
        self.server, self.worker_id, self.name, self.workspaces = server, worker_id, name, workspaces
        headers = {"User-Agent": f"codetether/{__version__}", "X-Worker-ID": worker_id}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = async_client(server, base_url=server, headers=headers,
                                  timeout=httpx.Timeout(30.0, connect=10.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        self._check_auth(response, f"{method} {path}")
        return response

    def _unreachable(self, exc: httpx.TransportError) -> PlatformUnreachable:
        why = str(exc).strip() or type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            why = f"timed out ({type(exc).__name__})"
        return PlatformUnreachable(f"cannot reach the CodeTether platform at {self.server}: {redact(why)}",
                                   "Check --server / CODETETHER_SERVER and that the platform is up.")

    def _check_auth(self, response: httpx.Response, what: str) -> None:
        if response.status_code in (401, 403):
            raise PlatformAuthError(
                f"the platform at {self.server} refused the worker token (HTTP {response.status_code} on {what})",
                "Pass a valid token with --token or CODETETHER_TOKEN.")

    def _failed(self, response: httpx.Response, what: str) -> PlatformError:
        body = redact(response.text.strip().replace("\n", " "))[:200]
        return PlatformError(f"{what} returned HTTP {response.status_code}" + (f": {body}" if body else ""))

    async def register(self, hostname: str, models: list[dict[str, str]]) -> None:
        body = {"worker_id": self.worker_id, "name": self.name, "capabilities": CAPABILITIES, "hostname": hostname,
                "models": models, "codebases": self.workspaces, "workspaces": self.workspaces}
        response = await self._send("POST", REGISTER, json=body)
        if not response.is_success:
            raise self._failed(response, f"POST {REGISTER}")

    async def pending_tasks(self) -> list[dict[str, Any]]:
        response = await self._send("GET", PENDING, params={"status": "pending"})
        if not response.is_success:
            raise self._failed(response, f"GET {PENDING}")
        try:
            body = response.json()
        except ValueError:
            raise PlatformError(f"GET {PENDING} did not return JSON") from None
        tasks = body.get("tasks", []) if isinstance(body, dict) else body  # a bare array or {tasks: [...]}
        return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []

    @asynccontextmanager
    async def task_stream(self) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """The SSE task stream, as the JSON objects of its `data:` lines; ends when the platform closes it."""
        headers = {"Accept": "text/event-stream", "X-Agent-Name": self.name, "X-Codebases": ",".join(self.workspaces)}
        params = {"agent_name": self.name, "worker_id": self.worker_id}
        timeout = httpx.Timeout(30.0, connect=10.0, read=STREAM_IDLE_SECS)
        try:
            async with self._http.stream("GET", STREAM, params=params, headers=headers, timeout=timeout) as response:
                self._check_auth(response, f"GET {STREAM}")
                if response.status_code in (404, 405, 501):
                    raise StreamUnsupported(f"GET {STREAM} returned HTTP {response.status_code}")
                if not response.is_success:
                    await response.aread()
                    raise self._failed(response, f"GET {STREAM}")
                yield _objects(response)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None

    async def claim(self, task_id: str) -> tuple[bool, str]:
        """(True, "") when the task is now ours; (False, why) when the platform gave it to someone else."""
        response = await self._send("POST", CLAIM, json={"task_id": task_id})
        if response.is_success:
            return True, ""
        if response.status_code >= 500:
            raise self._failed(response, f"POST {CLAIM}")
        return False, f"HTTP {response.status_code}: {redact(response.text.strip())[:200]}"

    async def output(self, task_id: str, text: str) -> None:
        path = f"/v1/opencode/tasks/{quote(task_id, safe='')}/output"
        response = await self._send("POST", path, json={"worker_id": self.worker_id, "output": text})
        if response.status_code >= 500:
            raise self._failed(response, f"POST {path}")

    async def release(self, task_id: str, status: str, result: str | None, error: str | None,
                      session_id: str | None) -> int:
        """Report the task's end; returns the HTTP status (404: the platform no longer holds it for us)."""
        body = {"task_id": task_id, "status": status, "result": result, "error": error, "session_id": session_id}
        response = await self._send("POST", RELEASE, json=body)
        if response.status_code >= 500 or response.status_code == 429:
            raise self._failed(response, f"POST {RELEASE}")
        return response.status_code

    async def heartbeat(self, status: str, active: int) -> None:
        path = f"/v1/opencode/workers/{quote(self.worker_id, safe='')}/heartbeat"
        body = {"worker_id": self.worker_id, "agent_name": self.name, "status": status, "active_task_count": active}
        response = await self._send("POST", path, json=body)
        if not response.is_success:
            raise self._failed(response, f"POST {path}")


async def _objects(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    try:
        async for _event, data in iter_sse(response.aiter_lines()):
            data = data.strip()
            if not data or data == "[DONE]":
                continue
            try:
                value = json.loads(data)
            except ValueError:
                continue  # not a task; the platform also sends plain keep-alive text
            if isinstance(value, dict):
                yield value
    except httpx.TransportError as exc:
        raise PlatformUnreachable(f"the task stream broke: {str(exc) or type(exc).__name__}") from None
