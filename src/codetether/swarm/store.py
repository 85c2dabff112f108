"""The swarm's result store: named results sub-agents publish and read while the swarm runs."""

from __future__ import annotations

import contextvars
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class SharedResult:
    key: str
    producer_id: str
    value: Any
    tags: list[str] = field(default_factory=list)
    published_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ResultStore:
    """In-memory and per swarm: everything runs in one process, so no locking beyond the event loop."""

    def __init__(self) -> None:
        self._results: dict[str, SharedResult] = {}

    def publish(self, key: str, producer_id: str, value: Any, tags: list[str] | None = None) -> SharedResult:
        result = SharedResult(key, producer_id, value, list(tags or []))
        self._results[key] = result
        return result

    def get(self, key: str) -> SharedResult | None:
        return self._results.get(key)

    def list(self) -> list[SharedResult]:
        return sorted(self._results.values(), key=lambda r: r.published_at)

    def query_tags(self, tags: list[str]) -> list[SharedResult]:
        wanted = set(tags)
        return [r for r in self.list() if wanted <= set(r.tags)]

    def query_prefix(self, prefix: str) -> list[SharedResult]:
        return [r for r in self.list() if r.key.startswith(prefix)]


@dataclass(frozen=True)
class ShareBinding:
    store: ResultStore
    producer_id: str


# Set by the executor in each sub-agent's task, so the swarm_share tool finds its swarm and who is calling.
CURRENT: contextvars.ContextVar[ShareBinding | None] = contextvars.ContextVar("swarm_share", default=None)
