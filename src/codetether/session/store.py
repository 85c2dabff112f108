"""The session store: SQLite in WAL mode; each append is its own transaction, so a crash loses one step at most."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.config.paths import data_dir
from codetether.errors import CodetetherError
from codetether.provider.model import Message
from codetether.secrets.redact import redact
from codetether.session.failure import storage_error
from codetether.session.writer import SessionWriter, WriteError

SCHEMA = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")


class SessionNotFound(CodetetherError):
    pass


@dataclass
class SessionInfo:
    id: str
    title: str
    project_root: str
    project_id: str
    model: str
    agent: str
    created_at: float
    updated_at: float
    message_count: int
    turn_count: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Snapshot:
    turn: int
    path: str
    existed: bool  # False: the turn created the file
    content: bytes | None
    mode: int | None


_FIELDS = tuple(SessionInfo.__dataclass_fields__)
_SESSION_COLUMNS = ", ".join(_FIELDS)


def default_db_path() -> Path:
    return data_dir() / "sessions.db"


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    db.execute("PRAGMA foreign_keys=ON")
    return db


class SessionStore:
    """Reads on the caller's thread; writes through one writer thread (session/writer.py), in order."""

    def __init__(self, path: Path | None = None):
        self.path = path or default_db_path()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self.db
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise storage_error(self.path, exc, opening=True) from None
        self.writer = SessionWriter(self.path, _connect)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's read connection: one shared across threads would keep one thread's read snapshot open
        under another's read, which then misses what was just committed."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = _connect(self.path)
            with self._readers_lock:
                self._readers.append(db)
        return db

    def _migrate(self) -> None:
        """Add columns introduced after a database was created; CREATE IF NOT EXISTS leaves old tables as they were."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(turns)")}
        if "undone" not in columns:
            self.db.execute("ALTER TABLE turns ADD COLUMN undone INTEGER NOT NULL DEFAULT 0")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.writer.close()
            with self._readers_lock:
                readers, self._readers = self._readers, []
            for db in readers:
                db.close()

    def flush(self) -> None:
        """Wait until every queued write is committed; a refused one is a clear error naming the data dir."""
        self._result(self.writer.submit([], waited=True))
        self.raise_refused()

    async def aflush(self) -> None:
        """flush, awaited without holding a thread while the writer commits."""
        await self._committed(self.writer.submit([], waited=True))
        self.raise_refused()

    def raise_refused(self) -> None:
        """The clear error for a write nobody waited for that the database refused, if there was one."""
        try:
            self.writer.raise_refused()
        except WriteError as exc:
            raise storage_error(self.path, exc) from None

    def _tx(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Statements committed together, waited for (a turn boundary, a snapshot before a file changes)."""
        self._result(self.writer.submit(statements, waited=True))

    def _result(self, write: Future[Any]) -> Any:
        try:
            return write.result()
        except WriteError as exc:
            raise storage_error(self.path, exc) from None

    async def _committed(self, write: Future[Any]) -> Any:
        """A write's result, awaited on the event loop: no thread waits while the writer commits."""
        try:
            return await asyncio.wrap_future(write)
        except WriteError as exc:
            raise storage_error(self.path, exc) from None

    def _queue(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Statements committed in order, moments later, without waiting (messages, tool calls, events)."""
        self.writer.submit(statements)

    # --- sessions -------------------------------------------------------------------------------------------
    def create(self, project_root: str, project_id: str, model: str, agent: str, title: str = "") -> SessionInfo:
        now = time.time()
        sid = new_session_id()
        self._tx([("INSERT INTO sessions (id, title, project_root, project_id, model, agent, created_at, updated_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (sid, title, project_root, project_id, model, agent, now, now))])
        return self.get(sid)

    async def start(self, session_id: str, project_root: str, project_id: str, model: str, agent: str, title: str,
                    branch: str | None, state: dict[str, Any]) -> SessionInfo:
        """A new session with its first turn begun and its starting state, committed together."""
        now = time.time()
        info = SessionInfo(session_id, title[:120], project_root, project_id, model, agent, now, now, 0, 1, 0, 0, 0.0)

        def write(db: sqlite3.Connection) -> SessionInfo:
            db.execute(f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES ({', '.join('?' * len(_FIELDS))})",
                       tuple(getattr(info, f) for f in _FIELDS))
            db.execute("INSERT INTO turns (session_id, turn, started_at, branch, model, agent) VALUES (?, 1, ?, ?, ?, ?)",
                       (session_id, now, branch, model, agent))
            db.executemany("INSERT OR REPLACE INTO session_state VALUES (?, ?, ?, ?)",
                           [(session_id, key, redact(json.dumps(value, ensure_ascii=False)), now)
                            for key, value in state.items()])
            return info

        return await self._committed(self.writer.run(write))

    def get(self, session_id: str) -> SessionInfo:
        row = self.db.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessionNotFound(f"no session with id '{session_id}'",
                                  "List sessions with `codetether sessions list`.")
        return SessionInfo(*row)

    def resolve_id(self, prefix: str) -> str:
        """A full id from an unambiguous prefix of at least 4 characters."""
        if len(prefix) < 4 or not all(c in "0123456789abcdef-" for c in prefix.lower()):
            raise SessionNotFound(f"'{prefix}' is not a session id (expected a UUID or at least 4 of its leading "
                                  "characters)", "List sessions with `codetether sessions list`.")
        rows = self.db.execute("SELECT id FROM sessions WHERE id >= ? AND id < ? LIMIT 2",
                               (prefix.lower(), prefix.lower() + "\uffff")).fetchall()
        if len(rows) != 1:
            what = "no session" if not rows else "more than one session"
            raise SessionNotFound(f"{what} matches id '{prefix}'", "List sessions with `codetether sessions list`.")
        return rows[0][0]

    def latest_for_project(self, project_ids: str | tuple[str, ...]) -> SessionInfo | None:
        where, params = _project_filter(project_ids)
        row = self.db.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE {where} "
                              "ORDER BY updated_at DESC LIMIT 1", params).fetchone()
        return SessionInfo(*row) if row else None

    def list(self, project_ids: str | tuple[str, ...] | None = None, limit: int = 50) -> list[SessionInfo]:
        """Newest first; only the project's (any of its ids, see Project.ids) when given."""
        where, params = _project_filter(project_ids) if project_ids else ("1", ())
        rows = self.db.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE {where} ORDER BY updated_at DESC "
                               "LIMIT ?", (*params, limit)).fetchall()
        return [SessionInfo(*r) for r in rows]

    def delete(self, session_id: str) -> None:
        self._tx([("DELETE FROM sessions WHERE id = ?", (session_id,))])

    def set_title(self, session_id: str, title: str) -> None:
        self._tx([("UPDATE sessions SET title = ? WHERE id = ? AND title = ''", (title[:120], session_id))])

    # --- turns and messages ---------------------------------------------------------------------------------
    def begin_turn(self, session_id: str, model: str, agent: str, branch: str | None) -> int:
        return self._result(self._begin_turn(session_id, model, agent, branch))

    async def abegin_turn(self, session_id: str, model: str, agent: str, branch: str | None) -> int:
        return await self._committed(self._begin_turn(session_id, model, agent, branch))

    def _begin_turn(self, session_id: str, model: str, agent: str, branch: str | None) -> Future[int]:
        """The next turn's number, read and taken in one transaction (no other writer can take the same)."""
        def take(db: sqlite3.Connection) -> int:
            turn = db.execute("SELECT turn_count FROM sessions WHERE id = ?", (session_id,)).fetchone()[0] + 1
            now = time.time()
            db.execute("INSERT INTO turns (session_id, turn, started_at, branch, model, agent) VALUES (?, ?, ?, ?, ?, ?)",
                       (session_id, turn, now, branch, model, agent))
            db.execute("UPDATE sessions SET turn_count = ?, model = ?, agent = ?, updated_at = ? WHERE id = ?",
                       (turn, model, agent, now, session_id))
            return turn

        return self.writer.run(take)

    def end_turn(self, session_id: str, turn: int, prompt_tokens: int, completion_tokens: int, cost_usd: float,
                 exit_reason: str) -> int:
        return self._result(self._end_turn(session_id, turn, prompt_tokens, completion_tokens, cost_usd, exit_reason))

    async def aend_turn(self, session_id: str, turn: int, prompt_tokens: int, completion_tokens: int,
                        cost_usd: float, exit_reason: str) -> int:
        return await self._committed(self._end_turn(session_id, turn, prompt_tokens, completion_tokens, cost_usd,
                                                    exit_reason))

    def _end_turn(self, session_id: str, turn: int, prompt_tokens: int, completion_tokens: int, cost_usd: float,
                  exit_reason: str) -> Future[int]:
        """Close the turn with its usage; the result is the session's message count once it is committed."""
        now = time.time()
        statements = [("UPDATE turns SET ended_at = ?, prompt_tokens = ?, completion_tokens = ?, cost_usd = ?, "
                       "exit_reason = ? WHERE session_id = ? AND turn = ?",
                       (now, prompt_tokens, completion_tokens, cost_usd, exit_reason, session_id, turn)),
                      ("UPDATE sessions SET prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, "
                       "cost_usd = cost_usd + ?, updated_at = ? WHERE id = ?",
                       (prompt_tokens, completion_tokens, cost_usd, now, session_id))]

        def write(db: sqlite3.Connection) -> int:
            for sql, params in statements:
                db.execute(sql, params)
            return db.execute("SELECT message_count FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]

        return self.writer.run(write)

    def append_message(self, session_id: str, turn: int, message: Message) -> None:
        now = time.time()
        parts = redact(json.dumps(message.to_dict()["parts"], ensure_ascii=False))
        self._queue([("INSERT INTO messages (session_id, seq, turn, role, parts, created_at) "
                   "SELECT ?, message_count, ?, ?, ?, ? FROM sessions WHERE id = ?",
                   (session_id, turn, message.role, parts, now, session_id)),
                  ("UPDATE sessions SET message_count = message_count + 1, updated_at = ? WHERE id = ?",
                   (now, session_id))])

    def message_count(self, session_id: str) -> int:
        row = self.db.execute("SELECT message_count FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return row[0] if row else 0

    def messages(self, session_id: str, skip_undone: bool = False) -> list[Message]:
        """The conversation in order; skip_undone leaves out turns whose changes `sessions undo` reverted."""
        skip = (" AND turn NOT IN (SELECT turn FROM turns WHERE session_id = ? AND undone = 1)"
                if skip_undone else "")
        rows = self.db.execute(f"SELECT role, parts FROM messages WHERE session_id = ?{skip} ORDER BY seq",
                               (session_id, session_id) if skip_undone else (session_id,)).fetchall()
        return [Message.from_dict({"role": role, "parts": json.loads(parts)}) for role, parts in rows]

    def message_rows(self, session_id: str) -> list[dict[str, Any]]:
        """Messages with their position, turn and time, parts as plain JSON: for show and export."""
        rows = self.db.execute("SELECT seq, turn, role, parts, created_at FROM messages WHERE session_id = ? "
                               "ORDER BY seq", (session_id,)).fetchall()
        return [{"seq": seq, "turn": turn, "role": role, "parts": json.loads(parts), "created_at": created}
                for seq, turn, role, parts, created in rows]

    def record_tool_call(self, session_id: str, turn: int, call_id: str, name: str, arguments: str, output: str,
                         success: bool, duration_ms: int) -> None:
        self._queue([("INSERT OR REPLACE INTO tool_calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (session_id, turn, call_id, name, redact(arguments), redact(output), int(success), duration_ms,
                    time.time()))])

    def record_event(self, session_id: str, turn: int, kind: str, detail: dict[str, Any]) -> None:
        self._queue([("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                   (session_id, turn, kind, redact(json.dumps(detail, ensure_ascii=False)), time.time()))])

    def turns(self, session_id: str) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY turn", (session_id,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def tool_calls(self, session_id: str) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM tool_calls WHERE session_id = ? ORDER BY created_at", (session_id,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def events(self, session_id: str) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT turn, kind, detail, created_at FROM events WHERE session_id = ? "
                              "ORDER BY created_at", (session_id,))
        return [{"turn": t, "kind": k, "detail": json.loads(d), "created_at": c} for t, k, d, c in cur.fetchall()]

    # --- tool state (todos, plan) ----------------------------------------------------------------------------
    def get_state(self, session_id: str, key: str) -> Any:
        """The JSON value a tool stored under key for this session, or None."""
        row = self.db.execute("SELECT value FROM session_state WHERE session_id = ? AND key = ?",
                              (session_id, key)).fetchone()
        return json.loads(row[0]) if row else None

    def session_with_state(self, key: str, value: Any) -> str | None:
        """The most recently updated session that stored `value` under `key` (e.g. an A2A contextId), or None."""
        row = self.db.execute("SELECT session_id FROM session_state WHERE key = ? AND value = ? "
                              "ORDER BY updated_at DESC LIMIT 1",
                              (key, redact(json.dumps(value, ensure_ascii=False)))).fetchone()
        return row[0] if row else None

    def set_state(self, session_id: str, key: str, value: Any) -> None:
        self._tx([("INSERT OR REPLACE INTO session_state VALUES (?, ?, ?, ?)",
                   (session_id, key, redact(json.dumps(value, ensure_ascii=False)), time.time()))])

    # --- snapshots and undo ---------------------------------------------------------------------------------
    def save_snapshot(self, session_id: str, turn: int, path: str, existed: bool, content: bytes | None,
                      mode: int | None) -> None:
        """Keep a file's state before a turn first changed it; later saves for the same path are ignored."""
        self._tx([("INSERT OR IGNORE INTO snapshots VALUES (?, ?, ?, ?, ?, ?)",
                   (session_id, turn, path, int(existed), content, mode))])

    def snapshots(self, session_id: str, turn: int) -> list[Snapshot]:
        rows = self.db.execute("SELECT path, existed, content, mode FROM snapshots WHERE session_id = ? AND turn = ? "
                               "ORDER BY path", (session_id, turn)).fetchall()
        return [Snapshot(turn, path, bool(existed), content, mode) for path, existed, content, mode in rows]

    def snapshot_index(self, session_id: str) -> list[dict[str, Any]]:
        """Which files each turn changed, without their content."""
        cur = self.db.execute("SELECT turn, path, existed, mode, length(content) FROM snapshots WHERE session_id = ? "
                              "ORDER BY turn, path", (session_id,))
        return [{"turn": t, "path": p, "existed": bool(e), "mode": m, "bytes": n} for t, p, e, m, n in cur]

    def undoable_turns(self, session_id: str, count: int) -> list[int]:
        """The newest `count` turns not yet undone, newest first."""
        rows = self.db.execute("SELECT turn FROM turns WHERE session_id = ? AND undone = 0 ORDER BY turn DESC "
                               "LIMIT ?", (session_id, count)).fetchall()
        return [r[0] for r in rows]

    def mark_undone(self, session_id: str, turns: list[int], detail: dict[str, Any]) -> None:
        """Flag the turns and record an 'undo' event in one transaction, so a crash leaves neither or both."""
        latest = self.db.execute("SELECT turn_count FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
        self._tx([*(("UPDATE turns SET undone = 1 WHERE session_id = ? AND turn = ?", (session_id, t)) for t in turns),
                  ("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                   (session_id, latest, "undo", redact(json.dumps(detail, ensure_ascii=False)), time.time()))])


def _project_filter(project_ids: str | tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    ids = (project_ids,) if isinstance(project_ids, str) else tuple(project_ids)
    return f"project_id IN ({', '.join('?' * len(ids))})", ids


def new_session_id() -> str:
    """A random (version 4) UUID, without the uuid module, which imports `platform` on every start."""
    raw = bytearray(os.urandom(16))
    raw[6], raw[8] = raw[6] & 0x0F | 0x40, raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
