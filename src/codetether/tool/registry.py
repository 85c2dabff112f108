"""The tool catalog: which tools exist, loaded lazily, and the subset an agent may use."""

from __future__ import annotations

import functools
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


# Rarely used tools: the first request carries only their names and a line each (in tool_load's description), and the
# model loads a schema when it needs one. The request stays small and no tool is taken away.
ON_DEMAND = frozenset({"a2a", "prd", "ralph", "rlm", "swarm", "task", "skill", "question", "websearch", "plan_enter",
                       "lsp"})
LOADER = "tool_load"


@functools.cache  # every agent asks for ~20
def load_tool(name: str) -> Tool:
    return importlib.import_module(f"codetether.tool.{CORE_TOOLS[name]}").TOOL


class ToolSet:
    """The tools one agent may call, by name; anything else is refused at dispatch.

    With `on_demand`, the schemas of the rare tools (ON_DEMAND) are offered only after tool_load asks for them;
    the tools themselves can be called at any time."""

    def __init__(self, tools: Iterable[Tool], *, on_demand: bool = True, withheld: dict[str, str] | None = None):
        """`withheld`: tools this agent would have but may not use here, with the reason a call to one is told."""
        self._tools = {t.name: t for t in tools}
        self.on_demand = on_demand
        self.withheld = dict(withheld or {})
        deferred = sorted(n for n in self._tools if n in ON_DEMAND) if on_demand else []
        self._deferred = deferred if len(deferred) > 1 else []  # deferring one schema saves less than tool_load costs
        self._loader = load_tool_loader() if self._deferred else None

    @classmethod
    def named(cls, names: Iterable[str], *, on_demand: bool = True) -> ToolSet:
        return cls((load_tool(n) for n in names), on_demand=on_demand)

    def get(self, name: str) -> Tool | None:
        if name == LOADER:
            return self._loader
        return self._tools.get(name)

    @property
    def deferred(self) -> list[str]:
        """Rare tools whose schemas the model has not loaded yet."""
        return list(self._deferred)

    @property
    def loaded(self) -> list[str]:
        """Rare tools whose schemas are offered now (loaded, or not deferred at all)."""
        return [n for n in sorted(self._tools) if n in ON_DEMAND and n not in self._deferred]

    def load(self, names: Iterable[str]) -> list[str]:
        """Offer these tools' schemas from the next request on; return the names this set lacks (then loads none)."""
        names = list(names)
        unknown = [n for n in names if n not in self._tools]
        if not unknown:
            self._deferred = [n for n in self._deferred if n not in names]
        return unknown

    @property
    def names(self) -> list[str]:
        return sorted(self._tools)

    def definitions(self) -> list[ToolDefinition]:
        offered = [ToolDefinition(t.name, t.description, t.parameters)
                   for t in sorted(self._tools.values(), key=lambda t: t.name) if t.name not in self._deferred]
        if self._deferred and self._loader is not None:
            menu = "\n".join(f"- {name}: {_first_sentence(self._tools[name].description)}" for name in self._deferred)
            offered.append(ToolDefinition(LOADER, f"{self._loader.description}\n{menu}", self._loader.parameters))
        return offered

    def __len__(self) -> int:
        return len(self._tools)


def load_tool_loader() -> Tool:
    from codetether.tool.tool_load import TOOL

    return TOOL


@functools.lru_cache(maxsize=256)  # asked for every deferred tool at every model request
def _first_sentence(text: str) -> str:
    line = " ".join(text.strip().split("\n\n", 1)[0].split())
    end = line.find(". ")
    if 0 < end < 120:
        return line[: end + 1]
    return line if len(line) <= 120 else line[:120].rsplit(" ", 1)[0] + " …"
