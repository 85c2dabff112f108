"""The built-in agents: which tools each may use, its step budget and its prompt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codetether.errors import UsageError

READ_ONLY_TOOLS = ("read", "list", "glob", "grep")
WRITE_TOOLS = ("write", "edit", "multiedit", "apply_patch", "bash")


@dataclass(frozen=True)
class AgentSpec:
    name: str
    tools: tuple[str, ...]
    max_steps: int
    description: str

    def prompt_template(self) -> str:
        return (Path(__file__).parent / "prompts" / f"{self.name}.md").read_text(encoding="utf-8")


AGENTS: dict[str, AgentSpec] = {a.name: a for a in (
    AgentSpec("build", READ_ONLY_TOOLS + WRITE_TOOLS, 100, "Full access: reads, edits, runs commands."),
    # plan's bash runs only allow-listed read-only commands (tool/readonly_shell.py); the policy enforces it.
    AgentSpec("plan", READ_ONLY_TOOLS + ("bash",), 50, "Read-only analysis and planning."),
    AgentSpec("explore", READ_ONLY_TOOLS, 20, "Fast code navigation and discovery."),
    AgentSpec("chat", (), 1, "Plain chat, no tools."),
)}


def get_agent(name: str) -> AgentSpec:
    try:
        return AGENTS[name]
    except KeyError:
        raise UsageError(f"unknown agent '{name}'", f"Choose one of: {', '.join(AGENTS)}") from None
