"""The ACP agent: the protocol's methods over our sessions, served on stdio with the official SDK."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp import PROTOCOL_VERSION
from acp.core import AgentSideConnection
from acp.schema import (
    AgentCapabilities,
    AuthenticateResponse,
    ClientCapabilities,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    SessionCapabilities,
    SessionInfo,
    SessionListCapabilities,
    SetSessionConfigOptionResponse,
    SetSessionModeResponse,
)

from codetether import __version__
from codetether.acp import auth
from codetether.acp.errors import guarded, invalid_params
from codetether.acp.modes import mode_state
from codetether.acp.replay import history_updates
from codetether.acp.translate import plan_update
from codetether.acp.transport import stdio_transport
from codetether.config.load import Config, read_raw
from codetether.config.paths import config_file
from codetether.config.permission import PermissionRules

if TYPE_CHECKING:
    from codetether.acp.session import AcpSession

log = logging.getLogger("codetether.acp")
SESSION_LIST_LIMIT = 200


class CodetetherAgent:
    """One client connection: its capabilities and its open sessions."""

    def __init__(self, config: Config, assume_yes: bool = False):
        self.config, self.assume_yes = config, assume_yes
        self.conn: Any = None
        self.caps = ClientCapabilities()
        self.sessions: dict[str, AcpSession] = {}
        self._models: list[str] | None = None
        self.inflight: set[asyncio.Task[Any]] = set()  # request handlers running (errors.guarded keeps it)

    def on_connect(self, conn: Any) -> None:
        self.conn = conn

    @guarded
    async def initialize(self, protocol_version: int, client_capabilities: ClientCapabilities | None = None,
                         client_info: Any = None, **_: Any) -> InitializeResponse:
        self.caps = client_capabilities or ClientCapabilities()
        _warm_up()
        terminal_auth = bool(getattr(getattr(self.caps, "auth", None), "terminal", False))
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(
                load_session=True,
                prompt_capabilities=PromptCapabilities(image=self._default_takes_images(), audio=False,
                                                       embedded_context=True),
                mcp_capabilities=McpCapabilities(http=False, sse=False),
                session_capabilities=SessionCapabilities(list=SessionListCapabilities())),
            auth_methods=auth.auth_methods(terminal_auth),
            agent_info=Implementation(name="codetether", title="CodeTether Agent", version=__version__))

    @guarded
    async def authenticate(self, method_id: str, **_: Any) -> AuthenticateResponse:
        await auth.check(self.config, method_id)
        return AuthenticateResponse()

    @guarded
    async def new_session(self, cwd: str, mcp_servers: list[Any] | None = None, **_: Any) -> NewSessionResponse:
        session = await self._open(cwd, mcp_servers)
        return NewSessionResponse(session_id=session.id, modes=mode_state(session.mode),
                                  config_options=session.options())

    @guarded
    async def load_session(self, cwd: str, session_id: str, mcp_servers: list[Any] | None = None,
                           **_: Any) -> LoadSessionResponse:
        if session_id in self.sessions:  # loaded again on this connection: start from the stored state
            await self.sessions.pop(session_id).close(forget_empty=False)
        session = await self._open(cwd, mcp_servers, session_ref=session_id)
        assert session.run is not None
        store = session.run.store
        session.stream.release()  # the client named this session: what waited (a warning) goes first
        for update in history_updates(store.messages(session.id, skip_undone=True), session.cwd):
            session.stream.push(update)
        todos = store.get_state(session.id, "todos")
        if isinstance(todos, list) and todos:
            session.stream.push(plan_update(todos))
        await session.stream.flush()  # the whole history before the response, as the protocol asks
        return LoadSessionResponse(modes=mode_state(session.mode), config_options=session.options())

    @guarded
    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None, **_: Any) -> ListSessionsResponse:
        from codetether.gitinfo import project_for
        from codetether.session.store import SessionStore

        project = await asyncio.to_thread(project_for, _workspace(cwd)) if cwd else None
        store = SessionStore()
        try:
            infos = store.list(project.id if project else None, limit=SESSION_LIST_LIMIT)
        finally:
            store.close()
        return ListSessionsResponse(sessions=[
            SessionInfo(session_id=i.id, cwd=i.project_root, title=i.title or None,
                        updated_at=datetime.fromtimestamp(i.updated_at, UTC).isoformat().replace("+00:00", "Z"))
            for i in infos if i.turn_count > 0])

    @guarded
    async def set_session_mode(self, mode_id: str, session_id: str, **_: Any) -> SetSessionModeResponse:
        self._session(session_id).set_mode(mode_id)
        return SetSessionModeResponse()

    @guarded
    async def set_config_option(self, config_id: str, session_id: str, value: str | bool,
                                **_: Any) -> SetSessionConfigOptionResponse:
        session = self._session(session_id)
        if config_id == "mode":
            session.set_mode(str(value))
        elif config_id == "model":
            await session.set_model(str(value))
        else:
            raise invalid_params(f"unknown config option '{config_id}'; this agent has: mode, model")
        return SetSessionConfigOptionResponse(config_options=session.options())

    @guarded
    async def prompt(self, prompt: list[Any], session_id: str, **_: Any) -> PromptResponse:
        return await self._session(session_id).prompt(prompt)

    async def cancel(self, session_id: str, **_: Any) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            log.warning("session/cancel for unknown session %s ignored", session_id)
            return
        session.cancel()

    async def aclose(self, grace: float = 5.0) -> None:
        """Stop every turn and close every session; requests still running get `grace` seconds to answer."""
        await asyncio.sleep(0)  # requests read just before the end of input start (and join `inflight`)
        sessions, self.sessions = list(self.sessions.values()), {}
        for session in sessions:
            try:
                await session.close()
            except Exception as exc:
                log.warning("closing session %s: %s", session.id, exc)
        if self.inflight:
            await asyncio.wait(list(self.inflight), timeout=grace)

    # --- helpers --------------------------------------------------------------------------------------------
    def _session(self, session_id: str) -> AcpSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise invalid_params(f"no open session '{session_id}' on this connection; create one with session/new "
                                 "or open a stored one with session/load")
        return session

    async def _open(self, cwd: str, mcp_servers: list[Any] | None, session_ref: str | None = None) -> AcpSession:
        from codetether.acp.session import AcpSession, Client

        fs = self.caps.fs
        forms = self.caps.elicitation is not None and self.caps.elicitation.form is not None
        client = Client(self.conn, bool(fs and fs.read_text_file), bool(fs and fs.write_text_file), forms,
                        self.assume_yes, self.config.path or config_file(), self._rules_changed)
        session = AcpSession(client, with_mcp_servers(self.config, mcp_servers or []), _workspace(cwd),
                             await self._model_choices())
        try:
            await session.open(session_ref=session_ref, agent_name=None if session_ref else "build")
        except BaseException:
            await session.close()
            raise
        self.sessions[session.id] = session
        return session

    def _rules_changed(self, rules: PermissionRules) -> None:
        """An "always" answer was written: every open session and every later one follows it."""
        for session in self.sessions.values():
            policy = session.run.prepared.agent.ctx.policy if session.run else None
            if policy is not None:
                policy.rules = rules
        self.config.extra["permission"] = read_raw(self.config.path or config_file()).get("permission")

    async def _model_choices(self) -> list[str]:
        if self._models is None:
            from codetether.provider.choices import model_choices
            from codetether.provider.registry import load_secrets

            try:
                self._models = model_choices(list(await load_secrets(self.config)), None)
            except Exception as exc:  # the model list is a convenience; the session still opens
                log.info("no model list: %s", exc)
                self._models = []
        return self._models

    def _default_takes_images(self) -> bool:
        """promptCapabilities.image: false only when the configured default provider sends text only (a turn
        with an image to such a provider is refused clearly either way). No Vault call: initialize stays instant."""
        from codetether.images import TEXT_ONLY_DIALECTS
        from codetether.provider.catalog import PROVIDERS, canonical
        from codetether.provider.registry import parse_model_id

        provider_id, _ = parse_model_id(self.config.default_model.strip())
        spec = PROVIDERS.get(canonical(provider_id or self.config.get("default.provider") or ""))
        return spec is None or spec.dialect not in TEXT_ONLY_DIALECTS


def with_mcp_servers(config: Config, servers: list[Any]) -> Config:
    """The config plus the client's stdio MCP servers, added as [mcp.servers] tables are; others are skipped."""
    if not servers:
        return config
    extra = dict(config.extra)
    mcp = dict(extra.get("mcp") or {})
    tables = dict(mcp.get("servers") or {})
    for server in servers:
        command = getattr(server, "command", None)
        if not command:
            log.warning("MCP server %s skipped: only stdio servers are supported", getattr(server, "name", "?"))
            continue
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in server.name) or "client"
        tables[name] = {"command": [command, *(server.args or [])],
                        "env": {v.name: v.value for v in (server.env or [])}}
    mcp["servers"] = tables
    extra["mcp"] = mcp
    return Config(dict(config.values), extra, config.path)


def _warm_up() -> None:
    """Import the agent stack (sessions, providers, tools) while the editor has not asked for a session yet."""
    import importlib

    threading.Thread(target=importlib.import_module, args=("codetether.acp.session",), name="acp-warm-up",
                     daemon=True).start()


def _workspace(cwd: str) -> Path:
    path = Path(cwd)
    if not path.is_absolute() or not path.is_dir():
        raise invalid_params(f"cwd '{cwd}' is not an absolute path to a directory; send the project's directory")
    return path


async def serve(config: Config, assume_yes: bool = False) -> None:
    """Serve one client on stdin/stdout until it hangs up (or SIGTERM/SIGINT), then close every session."""
    transport = await stdio_transport()
    agent = CodetetherAgent(config, assume_yes)
    conn = AgentSideConnection(agent, transport, listening=False)
    loop, main = asyncio.get_running_loop(), asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main.cancel)
    try:
        await conn.listen()
    except asyncio.CancelledError:
        log.info("stopping on a signal")
    finally:
        await agent.aclose()
        await conn.close()
