"""How a task ended, as the platform is told it; and the session record of a task that ran no session itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codetether.a2a.worker.tasks import TaskSpec


@dataclass
class Outcome:
    status: str  # completed | failed
    result: str | None
    error: str | None
    session_id: str | None


def record_exchange(task: TaskSpec, agent: str, answer: str) -> str:
    """A session holding the task's prompt and the run's answer (as the spec keeps swarm tasks), so the platform
    can resume it with metadata.resume_session_id."""
    from codetether.agent.events import ExitReason
    from codetether.gitinfo import project_for
    from codetether.provider.model import Message
    from codetether.session.store import SessionStore

    project = project_for(task.workspace)
    store = SessionStore()
    try:
        info = store.create(str(project.root), project.id, task.model or "", agent, title=task.title[:80])
        turn = store.begin_turn(info.id, task.model or "", agent, project.branch)
        store.append_message(info.id, turn, Message.text("user", task.prompt))
        store.append_message(info.id, turn, Message.text("assistant", answer))
        store.end_turn(info.id, turn, 0, 0, 0.0, ExitReason.COMPLETED)
        return info.id
    finally:
        store.close()
