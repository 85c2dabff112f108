"""The last thing built for each owner, rebuilt only when what it was built from changed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class LastBuilt(Generic[T]):
    """owner -> (key it was built from, value): one per owner, so an index's searches share one build."""

    def __init__(self) -> None:
        self._built: dict[str, tuple[Hashable, T]] = {}
        self._lock = threading.Lock()

    def get(self, owner: str, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            last = self._built.get(owner)
            if last is None or last[0] != key:
                last = self._built[owner] = (key, build())
            return last[1]
