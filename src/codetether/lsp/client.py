"""One language server process spoken to over stdio: Content-Length framed JSON-RPC 2.0."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

REQUEST_TIMEOUT = 30.0


if TYPE_CHECKING:
    from codetether.sandbox import Sandbox


class LspError(Exception):
    """The server failed, answered with an error, or did not answer in time."""


class LspClient:
    def __init__(self, command: list[str], root: Path, env: dict[str, str] | None = None,
                 sandbox: Sandbox | None = None):
        """With a `sandbox`, the server runs in it like every command a tool starts (servers can run project
        code: build scripts, plugins)."""
        self.command, self.root, self.env, self.sandbox = command, root, env, sandbox
        self.process: asyncio.subprocess.Process | None = None
        self.capabilities: dict[str, Any] = {}
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.diagnostics_changed = asyncio.Condition()
        self.stderr_tail: deque[str] = deque(maxlen=20)
        self.documents: dict[str, tuple[int, int, int]] = {}  # uri -> (version, mtime_ns, size) sent
        self.fresh: set[str] = set()  # uris whose diagnostics arrived since their last change
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    async def start(self, timeout: float = REQUEST_TIMEOUT) -> None:
        """Spawn the server and run the initialize handshake."""
        argv, env, fds = self.command, self.env, ()
        if self.sandbox is not None:
            from codetether.sandbox import SandboxUnavailable

            try:
                wrapped = self.sandbox.wrap(self.command, self.root, self.env)
            except SandboxUnavailable as exc:
                raise LspError(str(exc)) from None
            argv, env, fds = wrapped.argv, wrapped.env, wrapped.pass_fds
        try:
            self.process = await asyncio.create_subprocess_exec(
                *argv, cwd=str(self.root), env=env, stdin=asyncio.subprocess.PIPE, pass_fds=fds,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise LspError(f"could not start `{' '.join(self.command)}`: {exc.strerror or exc}") from None
        self._tasks = [asyncio.create_task(self._read_loop()), asyncio.create_task(self._drain_stderr())]
        result = await self.request("initialize", {
            # A sandboxed server can't see our pid (its own PID namespace) and would take us for dead.
            "processId": None if self.sandbox is not None and self.sandbox.enforced else os.getpid(),
            "rootUri": self.root.as_uri(), "rootPath": str(self.root),
            "workspaceFolders": [{"uri": self.root.as_uri(), "name": self.root.name}],
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {
                    "synchronization": {"didSave": False},
                    "hover": {"contentFormat": ["plaintext", "markdown"]},
                    "definition": {"linkSupport": True}, "implementation": {"linkSupport": True},
                    "references": {}, "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                    "completion": {"completionItem": {"snippetSupport": False}},
                    "publishDiagnostics": {"relatedInformation": False, "versionSupport": True},
                },
                "workspace": {"symbol": {}, "workspaceFolders": True, "configuration": True},
            },
        }, timeout)
        self.capabilities = (result or {}).get("capabilities", {})
        await self.notify("initialized", {})

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None and not self._closed

    async def request(self, method: str, params: Any, timeout: float = REQUEST_TIMEOUT) -> Any:
        if not self.alive:
            raise LspError(f"the language server exited{self._stderr_hint()}")
        self._next_id += 1
        number = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        await self._send({"jsonrpc": "2.0", "id": number, "method": method, "params": params})
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise LspError(f"the language server did not answer {method} within {timeout:.0f} s") from None
        finally:
            self._pending.pop(number, None)

    async def notify(self, method: str, params: Any) -> None:
        await self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin is not None
        body = json.dumps(message).encode()
        try:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await self.process.stdin.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise LspError(f"the language server closed its input ({exc}){self._stderr_hint()}") from None

    async def _read_loop(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        try:
            while True:
                length = None
                while True:
                    line = await stdout.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                await self._dispatch(json.loads(await stdout.readexactly(length)))
        except (asyncio.IncompleteReadError, ValueError, ConnectionError):
            return
        finally:
            error = LspError(f"the language server exited{self._stderr_hint()}")
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(error)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" not in message:  # a response to one of our requests
            future = self._pending.get(message.get("id"))  # type: ignore[arg-type]
            if future and not future.done():
                if "error" in message:
                    future.set_exception(LspError(str(message["error"].get("message", message["error"]))))
                else:
                    future.set_result(message.get("result"))
            return
        method, params = message["method"], message.get("params") or {}
        if method == "textDocument/publishDiagnostics":
            async with self.diagnostics_changed:
                self.diagnostics[params.get("uri", "")] = params.get("diagnostics", [])
                self.fresh.add(params.get("uri", ""))
                self.diagnostics_changed.notify_all()
        if "id" in message:  # a request from the server: answer so it does not wait on us
            result: Any = None
            if method == "workspace/configuration":
                result = [None] * len(params.get("items", []))
            elif method == "workspace/workspaceFolders":
                result = [{"uri": self.root.as_uri(), "name": self.root.name}]
            await self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    async def _drain_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _stderr_hint(self) -> str:
        tail = [line for line in self.stderr_tail if line.strip()][-3:]
        return (": " + " | ".join(tail))[:600] if tail else ""

    async def close(self, timeout: float = 3.0) -> None:
        """The polite LSP exit (shutdown, then exit); kill if the server lingers."""
        if self.process is None or self._closed:
            return
        if self.process.returncode is None:
            with contextlib.suppress(LspError, OSError):
                await self.request("shutdown", None, timeout)
                await self.notify("exit", None)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.kill()
                await self.process.wait()
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def kill(self) -> None:
        """Synchronous last resort (interpreter exit, a loop that is gone): end the server's process group."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
