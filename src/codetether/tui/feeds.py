"""Live state of a swarm's sub-agents and a Ralph run's stories, built from the typed events those runs emit: enough
for the list views and for each subtask's or story's detail (tool calls with input and output, messages, checks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from codetether.agent import events as ev
from codetether.ralph import events as rl
from codetether.swarm import events as sw

PREVIEW = 2_000  # characters of a tool's input or output kept for the detail views


@dataclass
class ToolCallRecord:
    name: str
    arguments: str
    output: str | None = None  # None while running
    success: bool | None = None


@dataclass
class Activity:
    """What one agent did, in order: tool calls (with results) and what it said."""

    tools: list[ToolCallRecord] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def add(self, event: ev.Event) -> None:
        if isinstance(event, ev.ToolCallStarted):
            self.tools.append(ToolCallRecord(event.name, event.arguments[:PREVIEW]))
        elif isinstance(event, ev.ToolCallCompleted):
            record = next((t for t in reversed(self.tools) if t.name == event.name and t.output is None), None)
            if record is None:
                record = ToolCallRecord(event.name, "")
                self.tools.append(record)
            record.output, record.success = event.output[:PREVIEW], event.success
        elif isinstance(event, ev.TextComplete) and event.text.strip():
            self.messages.append(event.text.strip())
        elif isinstance(event, ev.AgentError):
            self.messages.append(f"error: {event.message}")

    @property
    def current(self) -> str:
        running = next((t.name for t in reversed(self.tools) if t.output is None), None)
        return running or (self.tools[-1].name if self.tools else "")


@dataclass
class SubAgent:
    id: str
    name: str = ""
    instruction: str = ""
    specialty: str = ""
    stage: int = 0
    dependencies: tuple[str, ...] = ()
    state: str = "pending"  # pending | running | completed | failed | cached | skipped | stopped
    steps: int = 0
    error: str | None = None
    activity: Activity = field(default_factory=Activity)

    @property
    def tool_calls(self) -> int:
        return len(self.activity.tools)

    @property
    def last(self) -> str:
        return self.error or self.activity.current


@dataclass
class SwarmFeed:
    """Fed by the swarm executor: `observe(event)` for typed events, `report(message, progress)` for progress."""

    task: str
    subagents: dict[str, SubAgent] = field(default_factory=dict)
    summary: str = "starting"
    notes: list[str] = field(default_factory=list)
    finished: str | None = None

    def report(self, message: str, progress: object) -> None:
        line = getattr(progress, "line", None)
        self.summary = line() if callable(line) else str(progress)
        if message.startswith("note: ") or ":" not in message:
            self.notes.append(message)

    def observe(self, event: sw.SwarmEvent) -> None:
        if isinstance(event, sw.SwarmStarted):
            for planned in event.subtasks:
                self.subagents[planned.id] = SubAgent(planned.id, planned.name, planned.instruction,
                                                      planned.specialty, planned.stage, planned.dependencies)
        elif isinstance(event, sw.SubtaskStatus):
            sub = self._sub(event.subtask_id)
            sub.state, sub.stage = event.status, event.stage
            sub.steps = event.steps or sub.steps
            sub.error = event.error if event.status not in ("running", "completed", "cached") else None
        elif isinstance(event, sw.SubtaskActivity):
            self._sub(event.subtask_id).activity.add(event.event)
        elif isinstance(event, sw.SwarmDone):
            self.summary = (f"{event.completed} completed, {event.failed} failed | tool calls {event.tool_calls} | "
                            f"{event.elapsed_ms / 1000:.1f} s")

    def _sub(self, subtask_id: str) -> SubAgent:
        return self.subagents.setdefault(subtask_id, SubAgent(subtask_id))

    def finish(self, success: bool, detail: str) -> None:
        self.finished = detail
        for sub in self.subagents.values():
            if sub.state in ("running", "pending"):
                sub.state = "completed" if success else "ended"


@dataclass
class CheckRecord:
    name: str
    command: str
    passed: bool
    seconds: float
    detail: str = ""


@dataclass
class Iteration:
    number: int
    attempt: int
    activity: Activity = field(default_factory=Activity)
    checks: list[CheckRecord] = field(default_factory=list)
    verdict: str = "running"  # running | passed | failed
    commit: str = ""
    reason: str = ""


@dataclass
class StoryState:
    id: str
    title: str
    state: str = "pending"  # pending | running | quality-check | passed | failed
    detail: str = ""
    priority: int = 1
    depends_on: tuple[str, ...] = ()
    iterations: list[Iteration] = field(default_factory=list)

    @property
    def commits(self) -> list[str]:
        return [i.commit for i in self.iterations if i.commit]


@dataclass
class RalphFeed:
    """Stories from the PRD, moved along by the Ralph loop's events (`observe`) and log lines (`line`)."""

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

    def observe(self, event: rl.RalphEvent) -> None:
        if isinstance(event, rl.RalphStarted):
            for info in event.stories:
                story = self._story(info.id, info.title)
                story.priority, story.depends_on = info.priority, info.depends_on
                if info.passes and story.state == "pending":
                    story.state = "passed"
        elif isinstance(event, rl.IterationStarted):
            self.iteration = f"{event.iteration}/{event.max_iterations}"
            story = self._story(event.story_id)
            story.iterations.append(Iteration(event.iteration, event.attempt))
            story.state, story.detail = "running", f"iteration {event.iteration} (attempt {event.attempt})"
        elif isinstance(event, rl.StoryActivity) and (current := self._iteration(event.story_id)):
            current.activity.add(event.event)
        elif isinstance(event, rl.CheckDone) and (current := self._iteration(event.story_id)):
            current.checks.append(CheckRecord(event.name, event.command, event.passed, event.seconds, event.detail))
            story = self.stories[event.story_id]
            story.state = "quality-check"
            story.detail = f"check {event.name}: {'passed' if event.passed else event.detail or 'failed'}"
        elif isinstance(event, rl.StoryPassed):
            if current := self._iteration(event.story_id):
                current.verdict, current.commit = "passed", event.commit
            story = self._story(event.story_id)
            story.state, story.detail = "passed", f"committed {event.commit}"
        elif isinstance(event, rl.StoryFailed):
            if current := self._iteration(event.story_id):
                current.verdict, current.reason = "failed", event.reason
            story = self._story(event.story_id)
            story.state, story.detail = "failed", event.reason
        elif isinstance(event, rl.RalphDone):
            self.finished = (f"Ralph {event.status}: {event.passed}/{event.total} stories pass after "
                             f"{event.iterations} iteration(s)" + (f" ({event.error})" if event.error else ""))

    def _story(self, story_id: str, title: str = "") -> StoryState:
        story = self.stories.setdefault(story_id, StoryState(story_id, title))
        story.title = story.title or title
        return story

    def _iteration(self, story_id: str) -> Iteration | None:
        story = self.stories.get(story_id)
        return story.iterations[-1] if story and story.iterations else None
