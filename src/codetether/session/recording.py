"""What a replay needs of a session, read from the session store or from an exported bundle (session/bundle.py),
so both feed the same replay."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codetether.session.store import SessionStore

if TYPE_CHECKING:
    from codetether.gitinfo import Project

START_STATE = "replay_start"  # {"commit", "clean", "access_mode"} when the session began


@dataclass
class FileState:
    """A file as it was before the session's file tools first changed it; `path` relative to the project."""

    path: str
    existed: bool
    content: bytes | None
    mode: int | None


@dataclass
class Recording:
    session_id: str
    project_root: str  # where the session ran: recorded outputs name it
    model: str
    agent: str
    start: dict[str, Any]  # START_STATE's value ({} for sessions recorded before it existed)
    turns: list[int]
    messages: list[dict[str, Any]]  # {"turn", "role", "parts"} in order
    tool_calls: list[dict[str, Any]]  # {"turn", "call_id", "name", "arguments", "output"} in order
    files: list[FileState] = field(default_factory=list)

    @property
    def commit(self) -> str | None:
        return self.start.get("commit") or None


def record_start(store: SessionStore, session_id: str, project: Project, access_mode: str | None) -> None:
    store.set_state(session_id, START_STATE, start_state(project, access_mode))


def start_state(project: Project, access_mode: str | None) -> dict[str, Any]:
    """What a new session starts from: the commit, whether tracked files had changed, and its access mode."""
    return {"commit": project.head, "clean": not project.dirty, "access_mode": access_mode}


def from_store(store: SessionStore, session_id: str) -> Recording:
    info = store.get(session_id)
    return Recording(info.id, info.project_root, info.model, info.agent or "build",
                     store.get_state(info.id, START_STATE) or {}, [t["turn"] for t in store.turns(info.id)],
                     store.message_rows(info.id), store.tool_calls(info.id),
                     first_states(store, info.id, info.project_root))


def first_states(store: SessionStore, session_id: str, root: str) -> list[FileState]:
    """The earliest undo snapshot of each file inside the project: its state before the session."""
    first: dict[str, FileState] = {}
    for turn in store.turns(session_id):
        for snap in store.snapshots(session_id, turn["turn"]):
            relative = os.path.relpath(snap.path, root)
            if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
                first.setdefault(relative, FileState(relative, snap.existed, snap.content, snap.mode))
    return list(first.values())
