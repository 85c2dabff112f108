"""Deterministic replay: re-run a recorded session's tool calls in a fresh copy of its workspace, the model's
part answered from the recording, and find the first step whose tool result differs from what was recorded."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.agent.agents import get_agent
from codetether.agent.assembly import Parts, Wiring, assemble_agent
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.gitinfo import HARDENED, Project
from codetether.provider.model import CompletionRequest, CompletionResponse, Message, Usage
from codetether.sandbox import sandbox_for
from codetether.session.store import SessionInfo, SessionStore
from codetether.tool.registry import load_tool
from codetether.tool.support.permission import ApprovalRequest, Approvals

START_STATE = "replay_start"  # {"commit": HEAD or None, "clean": no uncommitted changes} when the session began
REPLAY_WINDOW = 10_000_000  # never compact: every request is answered from the recording anyway


def record_start(store: SessionStore, session_id: str, project: Project) -> None:
    """Remember the commit a new session starts from (and whether tracked files had changed), for replay."""
    store.set_state(session_id, START_STATE, {"commit": project.head, "clean": not project.dirty})


class RecordedModel:
    """A ChatModel answering each request with the next recorded assistant message of the turn being replayed."""

    def __init__(self) -> None:
        self.replies: deque[Message] = deque()

    async def complete(self, request: CompletionRequest, on_delta: Any = None) -> CompletionResponse:
        reply = self.replies.popleft() if self.replies else Message.text("assistant", "")
        return CompletionResponse(reply, Usage())


@dataclass
class ReplayState:
    """Session state the replayed tools keep (todos, plan), in memory: the recording is not touched."""

    id: str
    values: dict[str, Any] = field(default_factory=dict)

    def get_state(self, key: str) -> Any:
        return self.values.get(key)

    def set_state(self, key: str, value: Any) -> None:
        self.values[key] = value


@dataclass
class Step:
    """One tool call: where it was (turn, its number in the session), what ran, what was recorded and replayed."""

    turn: int
    number: int
    name: str
    arguments: str
    recorded: str | None  # None: the recording has no such call
    replayed: str | None  # None: the replay never made it

    @property
    def same(self) -> bool:
        return self.recorded == self.replayed


@dataclass
class ReplayReport:
    session_id: str
    workspace: str  # what the session was replayed in, as the user reads it
    turns: int
    steps: list[Step]

    @property
    def first_difference(self) -> Step | None:
        return next((s for s in self.steps if not s.same), None)


async def replay(config: Config, store: SessionStore, session_id: str, dest: Path, *, until: int | None = None,
                 against: Path | None = None, on_step: Callable[[Step], None] | None = None) -> ReplayReport:
    """Replay the session's turns (up to `until`) in `dest`, a new directory made here from the recorded
    starting commit, the session's own snapshots, or `against` (a workspace to try the same calls on)."""
    info = store.get(session_id)
    turns = [t["turn"] for t in store.turns(info.id) if until is None or t["turn"] <= until]
    if not turns:
        raise CodetetherError(f"session {info.id} has no turns to replay" + (f" up to {until}" if until else ""))
    where = prepare_workspace(store, info, dest, against)
    dest = Path(os.path.realpath(dest))
    root = info.project_root
    rows = store.message_rows(info.id)
    recorded = {(c["turn"], c["call_id"]): c for c in store.tool_calls(info.id)}
    model, spec = RecordedModel(), get_agent(info.agent or "build")
    steps: list[Step] = []
    started: dict[str, str] = {}
    turn_now = [0]

    def sink(event: ev.Event) -> None:
        if isinstance(event, ev.ToolCallStarted):
            started[event.call_id] = event.arguments
        elif isinstance(event, ev.ToolCallCompleted):
            was = recorded.pop((turn_now[0], event.call_id), None)
            step = Step(turn_now[0], len(steps) + 1, event.name, started.pop(event.call_id, ""),
                        was["output"] if was else None, event.output.replace(str(dest), root))
            steps.append(step)
            if on_step is not None:
                on_step(step)

    async def decide(request: ApprovalRequest) -> bool:
        """As the user did: a tool whose recorded call this turn was declined is declined again."""
        return not any(c["turn"] == turn_now[0] and c["name"] == request.tool and "declined" in c["output"]
                       for c in recorded.values())

    parts = Parts(model, info.model, REPLAY_WINDOW, dest, dest, "(replay)",
                  [load_tool(name) for name in spec.tools], sandbox_for(config, dest, spec.name), spec.name,
                  max_steps=10_000, stream=False, on_demand=False, rlm=False)
    agent = assemble_agent(config, parts, Wiring(sink=sink, session=ReplayState(f"replay:{info.id}"),
                                                 approvals=Approvals(approver=decide)))
    try:
        for turn in turns:
            turn_now[0] = turn
            messages = [Message.from_dict({"role": r["role"], "parts": r["parts"]}) for r in rows if r["turn"] == turn]
            prompt = next((m for m in messages if m.role == "user"), None)
            if prompt is None:
                continue
            model.replies = deque(m for m in messages if m.role == "assistant")
            agent.settings.max_steps = len(model.replies) + 1
            await agent.run(prompt)
            steps += [Step(turn, len(steps) + 1, c["name"], c["arguments"], c["output"], None)  # never made
                      for key, c in sorted(recorded.items(), key=lambda kv: kv[1]["created_at"]) if key[0] == turn]
    finally:
        if agent.ctx.sandbox is not None:
            agent.ctx.sandbox.close()
    return ReplayReport(info.id, where, len(turns), steps)


def prepare_workspace(store: SessionStore, info: SessionInfo, dest: Path, against: Path | None) -> str:
    """Make `dest` the workspace as the session found it; say how."""
    root = Path(info.project_root)
    if against is not None:
        shutil.copytree(against, dest, symlinks=True)
        return f"a copy of {against}"
    start = store.get_state(info.id, START_STATE) or {}
    if start.get("commit") and start.get("clean"):
        _git(["clone", "--quiet", "--shared", "--no-checkout", str(root), str(dest)], root)
        _git(["checkout", "--quiet", "--detach", start["commit"]], dest)
        return f"a clean checkout of commit {start['commit'][:12]}"
    if not root.is_dir():
        raise CodetetherError(f"the session's workspace {root} is gone and no clean starting commit was recorded",
                              "Give a workspace to replay in with --against DIR.")
    shutil.copytree(root, dest, symlinks=True)
    rewound = rewind(store, info.id, root, dest)
    return f"a copy of {root} with the {rewound} file(s) the session changed put back as they were before it"


def rewind(store: SessionStore, session_id: str, root: Path, dest: Path) -> int:
    """Put every file the session's file tools changed back to its state before the session (the earliest undo
    snapshot of each); commands' changes are not snapshotted, so they stay."""
    first: dict[str, Any] = {}
    for turn in store.turns(session_id):
        for snap in store.snapshots(session_id, turn["turn"]):
            first.setdefault(snap.path, snap)
    for path, snap in first.items():
        target = dest / os.path.relpath(path, root)
        if not snap.existed:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(snap.content or b"")
        if snap.mode is not None:
            target.chmod(snap.mode)
    return len(first)


def _git(args: list[str], cwd: Path) -> None:
    proc = subprocess.run(["git", *HARDENED, *args], cwd=cwd, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=300)
    if proc.returncode != 0:
        raise CodetetherError(f"cannot check out the session's starting commit: git {args[0]}: "
                              f"{proc.stderr.strip() or proc.returncode}",
                              "Give a workspace to replay in with --against DIR.")
