"""Project config (`codetether.toml`, `.codetether/config.toml`) over the user's (spec §16.1), limited to what a
project may decide. The model writes the project directory (prompt injection is routine), so a project file can
choose models, themes and budgets, and tighten the sandbox and permission rules, but never loosen them, run a program
(MCP servers, language servers, pods), move data elsewhere (endpoints, telemetry) or change the worker's trust."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codetether.config.layer import Layer
from codetether.errors import ConfigError

PROJECT_FILES = ("codetether.toml", ".codetether/config.toml")
PROTECTED = ("codetether.toml", ".codetether")  # what no tool or sandboxed command may write in a workspace
# Typed keys a project sets freely: what it works with and how it looks; nothing that widens what runs.
FREE = frozenset({"default.model", "default.provider", "ui.theme", "ui.custom_theme", "ui.hot_reload", "ui.mouse",
                  "session.max_steps", "session.doom_loop", "session.repair_tool_calls", "session.auto_compact",
                  "tools.on_demand", "websearch.backend"})
# [swarm] keys a project may not set: they start pods in a cluster or move the work to another directory.
SWARM_DENIED = frozenset({"execution_mode", "k8s_pod_budget", "k8s_subagent_image", "k8s_poll_secs",
                          "k8s_service_account", "working_dir"})
_ACCESS = {"ask": 0, "approve": 1, "full": 2}
_SEVERITY = {"allow": 0, "ask": 1, "deny": 2}


def project_root(start: Path) -> Path:
    """The enclosing git repository's top (a `.git` directory or file), else `start` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def project_files(start: Path) -> list[Path]:
    """The project's config files that exist, in merge order: the repository root's, then the current directory's."""
    root, here = project_root(start), start.resolve()
    folders = [root] if root == here else [root, here]
    return [folder / name for folder in folders for name in PROJECT_FILES if (folder / name).is_file()]


def protected_paths(*folders: Path) -> list[Path]:
    """Where project config lives in these folders (and their repository root), and the user's config folder:
    what the agent must not write."""
    from codetether.config.paths import config_dir

    bases = dict.fromkeys(p for f in folders for p in (f.resolve(), project_root(f)))
    # And the user's own config folder, should a workspace hold it (a run in $HOME): it names the MCP servers the
    # next run starts, unsandboxed.
    paths = [*(base / name for base in bases for name in PROTECTED), config_dir()]
    return list(dict.fromkeys([*paths, *(Path(os.path.realpath(p)) for p in paths)]))  # and where links lead


def merge_project(values: dict[str, Any], extra: dict[str, Any], layer: Layer, warn: Callable[[str], None]) -> None:
    """Lay one project file over the user's settings, keeping only what a project may set."""
    assert layer.source is not None
    at = layer.source.at

    def refuse(dotted: str, why: str) -> None:
        warn(f"{at(dotted)}: '{dotted}' ignored: a project's config cannot {why}; set it in your own config "
             "(`codetether config --path`)")

    for dotted, value in layer.values.items():
        if dotted in FREE:
            values[dotted] = value
        elif dotted.startswith("sandbox."):
            _sandbox(dotted, value, values, refuse)
        else:
            refuse(dotted, _WHY.get(dotted.split(".")[0], "change this"))
    for section, table in layer.extra.items():
        if section == "permission":
            _permission(table, extra, refuse, at)
        elif section == "swarm":
            allowed = {k: v for k, v in table.items() if k not in SWARM_DENIED}
            for key in table.keys() - allowed.keys():
                refuse(f"swarm.{key}", "start pods or move sub-agents to another directory")
            extra["swarm"] = {**extra.get("swarm", {}), **allowed}
        else:
            refuse(section, _WHY.get(section, "change this"))


_WHY = {"mcp": "start MCP servers (programs)", "lsp": "choose the programs started as language servers",
        "a2a": "change the worker's platform, name, workspaces or approval policy",
        "telemetry": "change where crash reports go", "secrets": "change where provider keys come from",
        "websearch": "change the web search endpoints"}


def _sandbox(dotted: str, value: Any, values: dict[str, Any], refuse: Callable[[str, str], None]) -> None:
    """Only what makes the sandbox stricter: a stricter access mode, network off, required on, more hidden paths."""
    current = values.get(dotted)
    name = dotted.split(".", 1)[1]
    if name == "access_mode" and _ACCESS.get(value, 9) <= _ACCESS.get(current, 9):
        values[dotted] = value
    elif name in ("network", "unix_sockets") and value is False or name == "required" and value is True:
        values[dotted] = value
    elif name == "hidden_paths":
        values[dotted] = [*current, *(p for p in value if p not in current)]
    elif value != current:
        refuse(dotted, "loosen the sandbox")


def _permission(table: dict[str, Any], extra: dict[str, Any], refuse: Callable[[str, str], None],
                where: Callable[[str], str]) -> None:
    """Each rule at least as strict as the user's; per-tool rules merged the same way; command patterns refused."""
    from codetether.config.permission import DEFAULTS

    mine = extra.setdefault("permission", {})
    rules = [(f"tools.{t}", a, mine.setdefault("tools", {}), t) for t, a in table["tools"].items()] \
        if isinstance(table.get("tools"), dict) else []
    rules += [(k, a, mine, k) for k, a in table.items() if k != "tools"]
    for dotted, action, into, name in rules:
        if into is mine and (name not in DEFAULTS or not isinstance(action, str) or isinstance(mine.get(name), dict)):
            refuse(f"permission.{dotted}", "set command patterns or loosen a permission rule")
        elif action not in _SEVERITY:
            raise ConfigError(f"{where(f'permission.{dotted}')}: 'permission.{dotted}' must be one of allow, ask, "
                              f"deny, got {action!r}")
        elif _SEVERITY[action] >= _SEVERITY.get(into.get(name, DEFAULTS.get(name, "allow")), 0):
            into[name] = action
        else:
            refuse(f"permission.{dotted}", "loosen a permission rule")
