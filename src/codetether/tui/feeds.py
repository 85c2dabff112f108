"""Live state of a swarm's sub-agents and a Ralph run's stories, built from the progress those runs report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SUB_LINE = re.compile(r"^(?P<id>[\w.-]+): (?P<text>.+)$")
_ITERATION = re.compile(r"^iteration (?P<n>\d+)/(?P<max>\d+) · (?P<id>\S+) ")
_PASSES = re.compile(r"^(?P<id>\S+) passes → ")
_FAILED = re.compile(r"^(?P<id>\S+) failed: (?P<why>.+)$")


@dataclass
class SubAgent:
    id: str
    state: str = "running"  # running | done | failed | cached | stopped
    tool_calls: int = 0
    last: str = ""


@dataclass
class SwarmFeed:
    """Fed by the swarm executor's reporter: `report(message, progress)`."""

    task: str
    subagents: dict[str, SubAgent] = field(default_factory=dict)
    summary: str = "starting"
    notes: list[str] = field(default_factory=list)
    finished: str | None = None

    def report(self, message: str, progress: object) -> None:
        line = getattr(progress, "line", None)
        self.summary = line() if callable(line) else str(progress)
        match = _SUB_LINE.match(message)
        if match is None or match["id"] == "note":
            self.notes.append(message)
            return
        sub = self.subagents.setdefault(match["id"], SubAgent(match["id"]))
        text = match["text"]
        if text == "served from the cache":
            sub.state = "cached"
        elif text.startswith("stopped by the collapse controller"):
            sub.state = "stopped"
        elif " " in text:  # tool names have no spaces; anything longer is the sub-agent's error
            sub.state = "failed"
        else:
            sub.tool_calls += 1
        sub.last = text

    def finish(self, success: bool, detail: str) -> None:
        self.finished = detail
        for sub in self.subagents.values():
            if sub.state == "running":
                sub.state = "done" if success else "ended"


@dataclass
class StoryState:
    id: str
    title: str
    state: str = "pending"  # pending | running | quality-check | passed | failed
    detail: str = ""


@dataclass
class RalphFeed:
    """Stories from the PRD, moved along by the Ralph loop's log lines."""

    prd: str
    stories: dict[str, StoryState] = field(default_factory=dict)
    iteration: str = ""
    log: list[str] = field(default_factory=list)
    finished: str | None = None

    @classmethod
    def from_stories(cls, prd: str, stories: list[tuple[str, str, bool]]) -> RalphFeed:
        return cls(prd, {sid: StoryState(sid, title, "passed" if passes else "pending")
                         for sid, title, passes in stories})

    def line(self, message: str) -> None:
        self.log.append(message)
        if match := _ITERATION.match(message):
            self.iteration = f"{match['n']}/{match['max']}"
            self._set(match["id"], "running", message)
        elif message.startswith("check ") and (running := self._running()):
            running.state, running.detail = "quality-check", message
        elif match := _PASSES.match(message):
            self._set(match["id"], "passed", message)
        elif match := _FAILED.match(message):
            self._set(match["id"], "failed", match["why"])

    def _set(self, story_id: str, state: str, detail: str) -> None:
        story = self.stories.setdefault(story_id, StoryState(story_id, ""))
        story.state, story.detail = state, detail

    def _running(self) -> StoryState | None:
        return next((s for s in self.stories.values() if s.state in ("running", "quality-check")), None)
