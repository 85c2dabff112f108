"""The tool catalog: which tools exist, loaded lazily, and the subset an agent may use."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from codetether.provider.model import ToolDefinition
from codetether.tool.base import Tool

# Tool name -> module under codetether.tool that defines TOOL. Imported only when used.
CORE_TOOLS: dict[str, str] = {
    "read": "read",
    "write": "write",
    "list": "list_dir",
    "glob": "glob",
    "grep": "grep",
    "edit": "edit",
    "multiedit": "multiedit",
    "apply_patch": "apply_patch",
    "bash": "bash",
    "lsp": "lsp",
    "codesearch": "codesearch",
    "a2a": "a2a_delegate",
    "prd": "prd_tool",
    "ralph": "ralph_tool",
    "webfetch": "webfetch",
    "websearch": "websearch",
    "batch": "batch",
    "task": "task",
    "todo_read": "todo_read",
    "todo_write": "todo_write",
    "plan_enter": "plan_enter",
    "plan_exit": "plan_exit",
    "question": "question",
    "swarm": "swarm",
    "swarm_share": "swarm_share",  # swarm sub-agents only: it needs the running swarm's result store
    "skill": "skill",
    "rlm": "rlm",
}


def load_tool(name: str) -> Tool:
    module = importlib.import_module(f"codetether.tool.{CORE_TOOLS[name]}")
    return module.TOOL


class ToolSet:
    """The tools one agent may call, by name; anything else is refused at dispatch."""

    def __init__(self, tools: Iterable[Tool]):
        self._tools = {t.name: t for t in tools}

    @classmethod
    def named(cls, names: Iterable[str]) -> ToolSet:
        return cls(load_tool(n) for n in names)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._tools)

    def definitions(self) -> list[ToolDefinition]:
        return [ToolDefinition(t.name, t.description, t.parameters)
                for t in sorted(self._tools.values(), key=lambda t: t.name)]

    def __len__(self) -> int:
        return len(self._tools)
