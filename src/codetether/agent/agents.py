"""The built-in agents: which tools each may use, its step budget and its prompt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codetether.errors import UsageError

READ_ONLY_TOOLS = ("read", "list", "glob", "grep", "lsp", "codesearch")
WRITE_TOOLS = ("write", "edit", "multiedit", "apply_patch", "bash")
# Change no files, so every tool-using agent gets them; webfetch still answers to permission.webfetch.
HELPER_TOOLS = ("webfetch", "websearch", "todo_read", "skill", "question")
# batch and task can run anything, todo_write keeps state, plan_enter switches to plan: build only.
# rlm spends many model calls on one question (spec §5.3 gives it to build): build only too.
# swarm runs parallel sub-agents that edit and merge into the project: build only.
BUILD_TOOLS = ("batch", "task", "todo_write", "plan_enter", "rlm", "swarm")


@dataclass(frozen=True)
class AgentSpec:
    name: str
    tools: tuple[str, ...]
    max_steps: int
    description: str

    def prompt_template(self) -> str:
        return (Path(__file__).parent / "prompts" / f"{self.name}.md").read_text(encoding="utf-8")


AGENTS: dict[str, AgentSpec] = {a.name: a for a in (
    # a2a delegates to remote agents, which may change things: build only.
    # prd and ralph write PRDs and start runs that edit and commit: build only too.
    AgentSpec("build", READ_ONLY_TOOLS + WRITE_TOOLS + ("a2a", "prd", "ralph") + HELPER_TOOLS + BUILD_TOOLS, 100,
              "Full access: reads, edits, runs commands."),
    # plan's bash runs only allow-listed read-only commands (tool/support/shell/readonly.py); the policy enforces it.
    # plan_exit returns to the agent that called plan_enter (it refuses when the run started as plan).
    AgentSpec("plan", READ_ONLY_TOOLS + ("bash",) + HELPER_TOOLS + ("plan_exit",), 50,
              "Read-only analysis and planning."),
    AgentSpec("explore", READ_ONLY_TOOLS + HELPER_TOOLS, 20, "Fast code navigation and discovery."),
    AgentSpec("chat", (), 1, "Plain chat, no tools."),
)}


def get_agent(name: str) -> AgentSpec:
    try:
        return AGENTS[name]
    except KeyError:
        raise UsageError(f"unknown agent '{name}'", f"Choose one of: {', '.join(AGENTS)}") from None
