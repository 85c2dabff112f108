"""How an agent bound to a session reports: one relay, given to the agent when it is built, that SessionRun
points at each turn's recorder; the agent's own attributes are never swapped from outside."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.provider.model import Message
from codetether.session.recorder import TurnRecorder
from codetether.session.store import SessionStore
from codetether.tool.base import ToolError


@dataclass
class StoredSession:
    """The session tools see (ToolContext.session): its id once it is recorded, its state in the store."""

    store: SessionStore
    id: str = ""  # empty until the first turn records the session

    def get_state(self, key: str) -> Any:
        self._check()
        return self.store.get_state(self.id, key)

    def set_state(self, key: str, value: Any) -> None:
        self._check()
        self.store.set_state(self.id, key, value)

    def _check(self) -> None:
        if not self.id:
            raise ToolError("this run has no recorded session to keep it in yet")


class TurnRelay:
    """Events and messages go to the front end's sink and, during a turn, to that turn's recorder; a file about
    to change goes to the turn's snapshot hook (for `sessions undo`)."""

    def __init__(self, sink: ev.EventSink):
        self.sink = sink
        self.recorder: TurnRecorder | None = None
        self.snapshot: Any = None  # the turn's snapshot hook: Callable[[Path], None]

    def event(self, event: ev.Event) -> None:
        if self.recorder is not None:
            self.recorder(event)
        self.sink(event)

    def message(self, message: Message) -> None:
        if self.recorder is not None:
            self.recorder.on_message(message)

    async def recorded(self) -> None:
        """Until the turn's messages so far are committed (the writer commits within moments; this waits for it)."""
        if self.recorder is not None:  # a refused write is raised by the turn's last flush, with its clear error
            await asyncio.wait([asyncio.wrap_future(self.recorder.store.writer.submit([]))])

    def before_write(self, path: Path) -> None:
        if self.snapshot is not None:
            self.snapshot(path)
