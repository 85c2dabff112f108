"""Read a platform task dict (spec §11.5): id, prompt, kind (session, swarm, Ralph), routing (tier, complexity,
model), resume, workspace and the swarm/Ralph options, tolerating both shapes (`{task: {...}}` and the bare task)
and the metadata / metadata.routing / metadata.swarm fallbacks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.a2a.worker.tiers import Routing, choose_model, routing
from codetether.agent.agents import AGENTS

SWARM_AGENTS = frozenset({"swarm", "parallel", "multi-agent"})
RALPH_AGENTS = frozenset({"ralph"})
RLM_AGENTS = frozenset({"rlm"})
_WORKSPACE_KEYS = ("workspace", "workspace_path", "codebase_path", "codebase", "working_dir", "cwd")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def task_id_of(event: dict[str, Any]) -> str | None:
    """The id of a task event (`data.task.id`, else `data.id`); platform notices without one are not tasks."""
    inner = event.get("task")
    value = inner.get("id") if isinstance(inner, dict) else None
    value = value if value not in (None, "") else event.get("id")
    return str(value) if value not in (None, "") else None


@dataclass
class SwarmOptions:
    """The spec's swarm knobs with its defaults and clamps (§11.7)."""

    strategy: str | None = None
    max_subagents: int = 10
    max_steps: int = 50
    timeout_secs: int = 600
    parallel: bool = True


@dataclass
class RalphTaskOptions:
    prd: dict[str, Any] | None = None  # the PRD itself (metadata.prd), written to prd_path
    prd_path: str = "prd.json"
    max_iterations: int = 10
    feature: str | None = None  # for a PRD drafted from the prompt
    project: str | None = None


@dataclass
class RlmTaskOptions:
    paths: list[str] = field(default_factory=list)  # files or globs in the workspace
    content: str | None = None


@dataclass
class TaskSpec:
    id: str
    title: str
    prompt: str
    agent: str
    model: str | None
    workspace: Path
    kind: str = "session"  # session | swarm | ralph | rlm
    routing: Routing = field(default_factory=lambda: routing(None, None))
    personality: str | None = None
    target_agent: str | None = None
    resume_session_id: str | None = None
    swarm: SwarmOptions = field(default_factory=SwarmOptions)
    ralph: RalphTaskOptions = field(default_factory=RalphTaskOptions)
    rlm: RlmTaskOptions = field(default_factory=RlmTaskOptions)
    notes: list[str] = field(default_factory=list)  # lines streamed before the work starts (routing decisions)
    problem: str | None = None  # why the task cannot run as given; it is claimed and reported failed


class _Fields:
    """`task.<key>` (inner task first) and metadata lookups: metadata, then metadata.routing, then metadata.swarm."""

    def __init__(self, event: dict[str, Any]):
        self.task = event.get("task") if isinstance(event.get("task"), dict) else event
        self.meta = self.task.get("metadata") if isinstance(self.task.get("metadata"), dict) else {}
        self.problems: list[str] = []

    def raw(self, key: str, *, in_meta: bool = True) -> Any:
        sources = (self.task, self.meta, self.meta.get("routing"), self.meta.get("swarm")) if in_meta else (self.task,)
        for source in sources:
            value = source.get(key) if isinstance(source, dict) else None
            if value is not None and not (isinstance(value, str) and not value.strip()):
                return value
        return None

    def text(self, *keys: str, in_meta: bool = True) -> str | None:
        for key in keys:
            value = self.raw(key, in_meta=in_meta)
            if isinstance(value, str):
                return value.strip()
        return None

    def number(self, keys: tuple[str, ...], default: int, low: int, high: int) -> int:
        """An int or numeric string, clamped to [low, high]; anything else is a problem naming the key."""
        for key in keys:
            value = self.raw(key)
            if value is None:
                continue
            try:
                number = int(value) if not isinstance(value, bool) else None
            except (TypeError, ValueError):
                number = None
            if number is None:
                self.problems.append(f"metadata.{key} must be a whole number, got {value!r}")
                return default
            return max(low, min(high, number))
        return default

    def flag(self, keys: tuple[str, ...], default: bool) -> bool:
        for key in keys:
            value = self.raw(key)
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            if value is not None:
                self.problems.append(f"metadata.{key} must be true or false, got {value!r}")
        return default


def parse_task(event: dict[str, Any], workspaces: list[Path], default_model: str | None = None,
               providers: list[str] | None = None) -> TaskSpec:
    """`providers`: the ones this worker has keys for, for tier routing; `default_model`: its --model."""
    f = _Fields(event)
    task_id = task_id_of(event) or ""
    title = f.text("title", in_meta=False) or "Untitled"
    prompt = f.text("prompt", in_meta=False) or f.text("description", in_meta=False) or f.text("title", in_meta=False)
    agent = (f.text("agent_type") or f.text("agent") or "build").lower()
    route = routing(f.text("model_tier", "tier"), f.text("complexity"))
    requested = f.text("model_ref") or f.text("model")
    requested = translate_model(requested) if requested else None
    model = choose_model(requested, route, providers or [], default_model)
    spec = TaskSpec(task_id, title, prompt or "", agent, model, workspaces[0], routing=route,
                    personality=f.text("worker_personality", "personality", "agent_personality"),
                    target_agent=f.text("target_agent_name", "agent_name"),
                    resume_session_id=_meta_text(f.meta, "resume_session_id"))
    if requested and model != requested:
        spec.notes.append(f"[routing] the worker has no key for {requested.split('/')[0]!r}; using {model} "
                          f"(tier {route.tier})")
    if agent in SWARM_AGENTS:
        spec.kind, spec.agent = "swarm", "build"
        spec.swarm = SwarmOptions(
            f.text("decomposition_strategy", "swarm_strategy", "strategy", "swarm_decomposition"),
            f.number(("swarm_max_subagents", "max_subagents", "subagents"), 10, 1, 100),
            f.number(("swarm_max_steps_per_subagent", "max_steps_per_subagent", "max_steps"), 50, 1, 200),
            f.number(("swarm_timeout_secs", "timeout_secs", "timeout"), 600, 30, 3600),
            f.flag(("swarm_parallel_enabled", "parallel_enabled"), True))
    elif agent in RALPH_AGENTS:
        spec.kind, spec.agent = "ralph", "build"
        spec.ralph = _ralph_options(f)
    elif agent in RLM_AGENTS:
        spec.kind, spec.agent = "rlm", "build"
        paths = f.raw("paths")
        paths = [p.strip() for p in paths.split(",")] if isinstance(paths, str) else paths
        if paths is not None and not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
            f.problems.append("metadata.paths must be a list of file paths or globs")
            paths = []
        spec.rlm = RlmTaskOptions([p for p in paths or [] if p], f.text("content"))
    elif agent not in AGENTS:
        f.problems.append(f"unknown agent_type '{agent}'; this worker runs: "
                          f"{', '.join([*AGENTS, *sorted(SWARM_AGENTS), *RALPH_AGENTS, *RLM_AGENTS])}")
    if not spec.prompt:
        f.problems.insert(0, "the task has no prompt, description or title to work on")
    spec.problem = f.problems[0] if f.problems else None
    named = next((v for v in map(f.text, _WORKSPACE_KEYS) if v), None)
    if named and spec.problem is None:
        spec.workspace, spec.problem = _workspace(named, workspaces)
    return spec


def _meta_text(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ralph_options(f: _Fields) -> RalphTaskOptions:
    prd = f.raw("prd")
    if isinstance(prd, str):
        try:
            prd = json.loads(prd)
        except ValueError as exc:
            f.problems.append(f"metadata.prd is not valid JSON ({exc.msg} at char {exc.pos})")
            prd = None
    if prd is not None and not isinstance(prd, dict):
        f.problems.append("metadata.prd must be a PRD object (project, feature, user_stories, ...)")
        prd = None
    return RalphTaskOptions(prd, f.text("prd_path") or "prd.json",
                            f.number(("max_iterations", "ralph_max_iterations"), 10, 1, 100),
                            f.text("feature"), f.text("project"))


def translate_model(model: str) -> str:
    """`anthropic:claude-x` -> `anthropic/claude-x`; anything with a `/` (e.g. `bedrock/nova-v1:0`) is kept."""
    return model.replace(":", "/", 1) if "/" not in model and ":" in model else model


def _workspace(named: str, workspaces: list[Path]) -> tuple[Path, str | None]:
    """A registered directory named by path; a non-path value (a platform codebase id) means the default one."""
    if not (named.startswith(("/", "~")) or (len(named) > 2 and named[1] == ":")):
        return workspaces[0], None
    path = Path(named).expanduser().resolve()
    if path in workspaces:
        return path, None
    # Running a coding task in some other registered directory would change the wrong project.
    return workspaces[0], (f"workspace {named} is not registered with this worker "
                           f"(registered: {', '.join(map(str, workspaces))})")
