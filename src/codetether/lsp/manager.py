"""Language servers by (language, project root): started on demand, shared by the agents that use them, shut
down a while after the last of them lets go (at most 8 at once; all killed at exit)."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

from codetether.config.lsp import EXAMPLE, LspServerConfig
from codetether.lsp.client import LspClient, LspError

MAX_SERVERS = 8
IDLE_SECS = 60.0  # a server nobody uses is shut down after this long (a new task in the project may want it)
START_TIMEOUT = 60.0
DIAGNOSTICS_WAIT = 10.0
PYTHON_SUFFIXES = (".py", ".pyi")


def python_server() -> list[str]:
    """pylsp from this interpreter's environment first, then PATH."""
    beside = Path(sys.executable).parent / "pylsp"
    found = str(beside) if beside.is_file() else shutil.which("pylsp")
    if not found:
        raise LspError("no Python language server found: install one with `pip install python-lsp-server` "
                       "(into the environment codetether runs from), or configure one:\n"
                       '[lsp.python]\ncommand = ["basedpyright-langserver", "--stdio"]\nextensions = [".py"]')
    return [found]


def server_for(path: Path, configured: dict[str, LspServerConfig]) -> tuple[str, list[str]]:
    """(language, command) for a file; configured servers win over the built-in Python default."""
    suffix = path.suffix.lower()
    for server in configured.values():
        if suffix in server.extensions:
            return server.language, list(server.command)
    if suffix in PYTHON_SUFFIXES:
        return "python", python_server()
    raise LspError(f"no language server is configured for '{suffix or path.name}' files. Python works out of "
                   f"the box; for other languages add a table to the config file, e.g.\n{EXAMPLE}")


class LspManager:
    def __init__(self, idle_secs: float = IDLE_SECS) -> None:
        self._servers: OrderedDict[tuple[str, Path], LspClient] = OrderedDict()
        self._starting: dict[tuple[str, Path], asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._users: dict[tuple[str, Path], set[int]] = {}  # who holds each server (ids of agents' contexts)
        self._idle: dict[tuple[str, Path], asyncio.TimerHandle] = {}
        self.idle_secs = idle_secs

    def release(self, user: object) -> None:
        """`user` is done (its agent closed): servers nobody else holds shut down after IDLE_SECS."""
        for key, users in list(self._users.items()):
            users.discard(id(user))
            if not users and key in self._servers and key not in self._idle and self._loop is not None:
                self._idle[key] = self._loop.call_later(self.idle_secs, self._shut_idle, key)

    def _shut_idle(self, key: tuple[str, Path]) -> None:
        self._idle.pop(key, None)
        server = self._servers.pop(key, None) if not self._users.get(key) else None
        if server is not None:
            task = asyncio.ensure_future(server.close())
            task.add_done_callback(lambda t: t.exception())  # a server that dies on its way out is no news

    async def client(self, language: str, command: list[str], root: Path, sandbox: Any = None,
                     user: object = None) -> LspClient:
        """The running server for this language and project, started (and the oldest evicted) if needed;
        `user` (the asking agent's context) holds it until it calls release()."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Servers are tied to the loop that spawned them; a new loop (a new asyncio.run) starts afresh.
            self.kill_all()
            self._loop = loop
        key = (language, root)
        if user is not None:
            self._users.setdefault(key, set()).add(id(user))
        if (idle := self._idle.pop(key, None)) is not None:
            idle.cancel()
        lock = self._starting.setdefault(key, asyncio.Lock())
        async with lock:
            existing = self._servers.get(key)
            if existing is not None and existing.alive:
                self._servers.move_to_end(key)
                return existing
            if existing is not None:
                self._servers.pop(key)
                await existing.close()
            client = LspClient(command, root, sandbox=sandbox)
            try:
                await client.start(START_TIMEOUT)
            except LspError as exc:
                client.kill()
                shown = " ".join(command)
                raise LspError(f"the {language} language server (`{shown}`) failed to start: {exc}") from None
            self._servers[key] = client
            for old_key in list(self._servers)[:-MAX_SERVERS]:  # over the cap: the least recently used ones
                if not self._users.get(old_key) or len(self._servers) > 2 * MAX_SERVERS:
                    await self._servers.pop(old_key).close()
            return client

    async def sync(self, client: LspClient, path: Path) -> str:
        """Make the server see the file as it is on disk (didOpen, or didChange when it changed); its uri."""
        uri = path.as_uri()
        info = path.stat()
        sent = client.documents.get(uri)
        if sent and sent[1:] == (info.st_mtime_ns, info.st_size):
            return uri
        text = path.read_text(encoding="utf-8", errors="replace")
        client.fresh.discard(uri)
        if sent is None:
            await client.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": language_id(path), "version": 1, "text": text}})
            client.documents[uri] = (1, info.st_mtime_ns, info.st_size)
        else:
            version = sent[0] + 1
            await client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                           "contentChanges": [{"text": text}]})
            client.documents[uri] = (version, info.st_mtime_ns, info.st_size)
        return uri

    async def diagnostics(self, client: LspClient, uri: str, wait: float = DIAGNOSTICS_WAIT) -> list[dict[str, Any]]:
        """The diagnostics published for a document since its last change, waiting a bounded time for them."""
        async with client.diagnostics_changed:
            try:
                await asyncio.wait_for(client.diagnostics_changed.wait_for(lambda: uri in client.fresh), wait)
            except TimeoutError:
                raise LspError(f"the language server published no diagnostics within {wait:.0f} s; "
                               "it may not lint this file type") from None
            return client.diagnostics.get(uri, [])

    async def close(self) -> None:
        """Shut every server down politely (shutdown + exit)."""
        servers, self._servers = list(self._servers.values()), OrderedDict()
        self._forget_users()
        if self._loop is asyncio.get_running_loop():
            await asyncio.gather(*(s.close() for s in servers), return_exceptions=True)
        else:
            for server in servers:
                server.kill()

    def kill_all(self) -> None:
        for server in self._servers.values():
            server.kill()
        self._servers.clear()
        self._forget_users()

    def _forget_users(self) -> None:
        for handle in self._idle.values():
            handle.cancel()
        self._idle.clear()
        self._users.clear()

    def __len__(self) -> int:
        return len(self._servers)


def language_id(path: Path) -> str:
    ids = {".py": "python", ".pyi": "python", ".js": "javascript", ".jsx": "javascriptreact", ".ts": "typescript",
           ".tsx": "typescriptreact", ".rs": "rust", ".go": "go", ".c": "c", ".h": "c", ".cpp": "cpp",
           ".java": "java", ".rb": "ruby", ".sh": "shellscript"}
    return ids.get(path.suffix.lower(), path.suffix.lstrip(".").lower() or "plaintext")


_default: LspManager | None = None


def get_manager() -> LspManager:
    """The process-wide manager; its servers are killed at interpreter exit if nobody closed them."""
    global _default
    if _default is None:
        _default = LspManager()
        atexit.register(_default.kill_all)
    return _default


async def close_default() -> None:
    if _default is not None:
        await _default.close()
