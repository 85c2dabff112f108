"""The doom-loop guard: the same tool call with the same arguments N times in a row is held, as opencode does.

Interactive front ends are asked (through the approvals interface) whether to let it run again; without anyone
to ask, the model is told to change course, and repeating the held call in a later step ends the turn."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DEFAULT_THRESHOLD = 3


@dataclass
class Verdict:
    action: str  # run | ask | refuse | stop
    count: int  # identical calls in a row, this one included


class LoopGuard:
    """Counts identical consecutive calls within one user turn; `threshold` 0 turns the guard off."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD):
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        self._key: str | None = None
        self._count = 0
        self._held_step: int | None = None  # the step in which the current streak was held

    def check(self, name: str, arguments: Any, step: int, *, can_ask: bool) -> Verdict:
        key = call_key(name, arguments)
        if key != self._key:
            self._key, self._count, self._held_step = key, 0, None
        self._count += 1
        if not self.threshold or self._count < self.threshold:
            return Verdict("run", self._count)
        if self._held_step is not None and step > self._held_step:
            return Verdict("stop", self._count)  # told in an earlier step, and it came back anyway
        if self._held_step is None:
            self._held_step = step
            if can_ask:
                return Verdict("ask", self._count)
        return Verdict("refuse", self._count)

    def approved(self) -> None:
        """The user let the call run: count afresh, so the next question comes after another full streak."""
        self._count, self._held_step = 0, None


def call_key(name: str, arguments: Any) -> str:
    try:
        text = json.dumps(arguments, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(arguments)
    return f"{name}\x00{text}"


def held_message(name: str, arguments_text: str, count: int, threshold: int) -> str:
    return (f"{name} was not run: this is call {count} in a row of {name} with exactly the same arguments "
            f"({arguments_text}); its result would not change (doom-loop guard: session.doom_loop = {threshold}). "
            "Do not repeat it. Use what the earlier results said, try a different approach, or answer the user "
            "with what is blocking you. Sending this same call again ends the turn.")
