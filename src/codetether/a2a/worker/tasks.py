"""Read a platform task dict (spec §11.5): id, prompt, agent, model and workspace, tolerating both shapes
(`{task: {...}}` and the bare task) and metadata/routing fallbacks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.agent.agents import AGENTS

SWARM_AGENTS = frozenset({"swarm", "parallel", "multi-agent"})
READ_ONLY_AGENT = "plan"
_WORKSPACE_KEYS = ("workspace", "workspace_path", "codebase_path", "codebase", "working_dir", "cwd")


def task_id_of(event: dict[str, Any]) -> str | None:
    """The id of a task event (`data.task.id`, else `data.id`); platform notices without one are not tasks."""
    inner = event.get("task")
    value = inner.get("id") if isinstance(inner, dict) else None
    value = value if value not in (None, "") else event.get("id")
    return str(value) if value not in (None, "") else None


@dataclass
class TaskSpec:
    id: str
    title: str
    prompt: str
    agent: str
    model: str | None
    workspace: Path
    problem: str | None = None  # why the task cannot run as given; it is claimed and reported failed


def parse_task(event: dict[str, Any], workspaces: list[Path], auto_approve: str,
               default_model: str | None = None) -> TaskSpec:
    task = event.get("task") if isinstance(event.get("task"), dict) else event
    meta = task.get("metadata") if isinstance(task.get("metadata"), dict) else {}

    def text(key: str, *, in_meta: bool = True) -> str | None:
        for source in (task, meta, meta.get("routing"), meta.get("swarm")) if in_meta else (task,):
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    task_id = task_id_of(event) or ""
    title = text("title", in_meta=False) or "Untitled"
    prompt = text("prompt", in_meta=False) or text("description", in_meta=False) or text("title", in_meta=False) or ""
    agent = (text("agent_type") or text("agent") or "build").lower()
    model = text("model_ref") or text("model") or default_model
    spec = TaskSpec(task_id, title, prompt, agent, translate_model(model) if model else None, workspaces[0])
    if not prompt:
        spec.problem = "the task has no prompt, description or title to work on"
    elif agent in SWARM_AGENTS:
        spec.problem = f"agent_type '{agent}' (swarm) is not supported by this worker; use build, plan or explore"
    elif agent not in AGENTS:
        spec.problem = f"unknown agent_type '{agent}'; this worker runs: {', '.join(AGENTS)}"
    if auto_approve == "none" and spec.agent not in ("plan", "explore"):
        spec.agent = READ_ONLY_AGENT  # --auto-approve none: nothing that writes may run
    named = next((v for v in map(text, _WORKSPACE_KEYS) if v), None)
    if named and spec.problem is None:
        spec.workspace, spec.problem = _workspace(named, workspaces)
    return spec


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
