"""Deterministic replay: re-run a recorded session's tool calls in a fresh copy of its workspace, the model's
part answered from the recording, and find the first step whose tool result differs from what was recorded."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.agent.agents import get_agent
from codetether.agent.assembly import Parts, Wiring, assemble_agent
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.provider.model import CompletionRequest, CompletionResponse, Message, Usage
from codetether.sandbox import sandbox_for
from codetether.sandbox.policy import ACCESS_MODES
from codetether.secrets.redact import redact
from codetether.session.recording import FileState, Recording
from codetether.session.store import Snapshot
from codetether.session.undo import restore
from codetether.tool.registry import load_tool
from codetether.tool.support.permission import ApprovalRequest, Approvals

REPLAY_WINDOW = 10_000_000  # never compact: every request is answered from the recording anyway


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


async def replay(config: Config, recording: Recording, dest: Path, *, until: int | None = None,
                 against: Path | None = None, repository: Path | None = None,
                 on_step: Callable[[Step], None] | None = None) -> ReplayReport:
    """Replay the recording's turns (up to `until`) in `dest`, a new directory made here (prepare_workspace) from
    its starting commit in `repository` (default: the session's own project), or a copy of `against`."""
    rec = recording
    turns = [t for t in rec.turns if until is None or t <= until]
    if not turns:
        raise CodetetherError(f"session {rec.session_id} has no turns to replay" + (f" up to {until}" if until else ""))
    where = prepare_workspace(rec, dest, against, repository)
    dest = Path(os.path.realpath(dest))
    recorded = {(c["turn"], c["call_id"]): c for c in rec.tool_calls}
    order = {key: n for n, key in enumerate(recorded)}
    model, spec = RecordedModel(), get_agent(rec.agent or "build")
    steps: list[Step] = []
    started: dict[str, str] = {}
    turn_now = [0]

    def sink(event: ev.Event) -> None:
        if isinstance(event, ev.ToolCallStarted):
            started[event.call_id] = event.arguments
        elif isinstance(event, ev.ToolCallCompleted):
            was = recorded.pop((turn_now[0], event.call_id), None)
            step = Step(turn_now[0], len(steps) + 1, event.name, started.pop(event.call_id, ""),
                        was["output"] if was else None, redact(event.output.replace(str(dest), rec.project_root)))
            steps.append(step)
            if on_step is not None:
                on_step(step)

    async def decide(request: ApprovalRequest) -> bool:
        """As the user did: a tool whose recorded call this turn was declined is declined again."""
        return not any(c["turn"] == turn_now[0] and c["name"] == request.tool and "declined" in c["output"]
                       for c in recorded.values())

    config = _with_settings(config, rec.start)
    parts = Parts(model, rec.model, REPLAY_WINDOW, dest, dest, "(replay)",
                  [load_tool(name) for name in spec.tools], sandbox_for(config, dest, spec.name), spec.name,
                  max_steps=10_000, stream=False, on_demand=False, rlm=False)
    agent = assemble_agent(config, parts, Wiring(sink=sink, session=ReplayState(f"replay:{rec.session_id}"),
                                                 approvals=Approvals(approver=decide)))
    try:
        for turn in turns:
            turn_now[0] = turn
            messages = [Message.from_dict(m) for m in rec.messages if m["turn"] == turn]
            prompt = next((m for m in messages if m.role == "user"), None)
            if prompt is None:
                continue
            model.replies = deque(m for m in messages if m.role == "assistant")
            agent.settings.max_steps = len(model.replies) + 1
            await agent.run(prompt)
            steps += [Step(turn, len(steps) + 1, c["name"], c["arguments"], c["output"], None)  # never made
                      for key, c in sorted(recorded.items(), key=lambda kv: order[kv[0]]) if key[0] == turn]
    finally:
        if agent.ctx.sandbox is not None:
            agent.ctx.sandbox.close()
    return ReplayReport(rec.session_id, where, len(turns), steps)


def _with_settings(config: Config, start: dict[str, Any]) -> Config:
    """The config with the access mode the session ran under, where it was recorded, but never wider than the
    replaying user's own: a bundle from someone else cannot lift the sandbox."""
    order = list(ACCESS_MODES)  # narrowest first
    recorded, own = start.get("access_mode"), config.get("sandbox.access_mode")
    if recorded not in order or own not in order:
        return config
    return replace(config, values={**config.values, "sandbox.access_mode": min(recorded, own, key=order.index)})


def prepare_workspace(rec: Recording, dest: Path, against: Path | None, repository: Path | None) -> str:
    """Make `dest` the workspace as the session found it; say how. A recorded commit is checked out of
    `repository` (a bundle's) or, when its tracked files were clean, of the session's project; otherwise the
    project is copied. Either way the files the session's file tools changed are then put back as they were."""
    if against is not None:
        shutil.copytree(against, dest, symlinks=True)
        return f"a copy of {against}"
    source = repository or Path(rec.project_root)
    if rec.commit and (rec.start.get("clean") or repository is not None):
        checkout(source, rec.commit, dest)
        where = f"a {'clean ' if rec.start.get('clean') else ''}checkout of commit {rec.commit[:12]}"
    elif not source.is_dir():
        raise CodetetherError(f"the session's workspace {source} is gone and no clean starting commit was recorded",
                              "Give a workspace to replay in with --against DIR.")
    else:
        shutil.copytree(source, dest, symlinks=True)
        where = f"a copy of {source}"
    if rec.files:
        where += f" with the {rewind(rec.files, dest)} file(s) the session changed put back as they were before it"
    return where


def rewind(files: list[FileState], dest: Path) -> int:
    """Put every file the session's file tools changed back to its state before the session (its earliest undo
    snapshot), never through a symlink leading out of `dest`; commands' changes are not snapshotted."""
    for state in files:
        done = restore(Snapshot(0, str(dest / state.path), state.existed, state.content, state.mode), dest)
        if done.startswith("failed"):
            raise CodetetherError(f"cannot put {state.path} back as it was before the session: {done[8:]}")
    return len(files)


def checkout(repository: Path, commit: str, dest: Path) -> None:
    """A clone of `repository` in `dest` with `commit` checked out (detached); a clear error if it has no such
    commit."""
    if not repository.is_dir():
        raise CodetetherError(f"the repository {repository} to replay in is not there",
                              "Replay in a clone of the project: --against DIR.")
    if not (repository / ".git").exists() and _git(["rev-parse", "--git-dir"], repository, check=False):
        raise CodetetherError(f"{repository} is not a git repository, so commit {commit} cannot be checked out",
                              "Replay in a clone of the project: --against DIR.")
    if _git(["cat-file", "-e", f"{commit}^{{commit}}"], repository, check=False):
        raise CodetetherError(f"commit {commit} (where the session started) is not in the repository {repository}",
                              "Fetch it (git fetch), or name a clone that has it with --against DIR.")
    dest.mkdir(parents=True, exist_ok=True)  # the sandbox lets git write only a folder that is there
    # Objects linked or copied, not borrowed (--shared): the checkout's sandbox shows it `dest` alone.
    # The commit's own .codetether and codetether.toml are part of what a replay reproduces (and a guard folder
    # mounted in `dest` would leave it not empty for the clone).
    _git(["clone", "--quiet", "--no-checkout", str(repository), str(dest)], repository, writable=(dest,),
         config_writable=True)
    _git(["checkout", "--quiet", "--detach", commit], dest, writable=(dest,), config_writable=True)


def _git(args: list[str], cwd: Path, check: bool = True, writable: tuple[Path, ...] = (),
         config_writable: bool = False) -> str:
    """git's complaint ('' when it succeeded); with `check`, a failure is a clear error. Sandboxed like all the
    agent's own git: the repository is the model's work, and its config can make git run programs."""
    from codetether.gitinfo import run_git

    try:
        proc = run_git(cwd, *args, timeout=300, writable=writable, config_writable=config_writable)
    except (OSError, subprocess.TimeoutExpired) as exc:
        proc = subprocess.CompletedProcess(args, 1, "", str(exc))
    if proc.returncode == 0:
        return ""
    problem = proc.stderr.strip() or f"exit {proc.returncode}"
    if check:
        raise CodetetherError(f"cannot check out the session's starting commit: git {args[0]}: {problem}",
                              "Give a workspace to replay in with --against DIR.")
    return problem
