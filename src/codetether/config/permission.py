"""The `[permission]` config section: allow/ask/deny per kind of action, validated when the config loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from codetether.errors import ConfigError

ACTIONS = ("allow", "ask", "deny")
DEFAULTS: dict[str, str] = {"edit": "allow", "bash": "allow", "webfetch": "allow", "external_directory": "deny",
                            "local_network": "ask"}


@dataclass(frozen=True)
class PermissionRules:
    edit: str = "allow"
    bash: str = "allow"  # a single action for every command, or the fallback when bash_patterns match none
    bash_patterns: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    webfetch: str = "allow"
    external_directory: str = "deny"
    source: str = "defaults"  # the file the rules came from, named in refusals
    # webfetch and the a2a tool reaching a loopback, link-local or private address (cloud metadata, local
    # services): "ask" needs a person's yes, never --yes's
    local_network: str = "ask"
    # Per tool, by our name (aliases such as write_file resolved): "ask" or "deny" on top of the rules above.
    tools: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))


def parse_permission(table: Any, source: str) -> PermissionRules:
    """Turn the raw `[permission]` table into rules; any mistake is a ConfigError naming file and key."""
    if table is None:
        return PermissionRules(source=source)
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [permission] must be a table")
    values = dict(DEFAULTS)
    patterns: dict[str, str] = {}
    tools: dict[str, str] = {}
    for name, value in table.items():
        if name == "tools":
            tools = _tool_rules(value, source)
            continue
        if name not in DEFAULTS:
            raise ConfigError(f"{source}: unknown key 'permission.{name}'",
                              "Known permission keys: " + ", ".join([*DEFAULTS, "tools"]))
        if name == "bash" and isinstance(value, dict):
            for pattern, action in value.items():
                if not pattern.strip():
                    raise ConfigError(f"{source}: 'permission.bash' has an empty command pattern")
                patterns[pattern] = _action(f"permission.bash.\"{pattern}\"", action, source)
            values["bash"] = "allow"  # only for commands no pattern (not even "*") matches
            continue
        values[name] = _action(f"permission.{name}", value, source)
    return PermissionRules(values["edit"], values["bash"], MappingProxyType(patterns), values["webfetch"],
                           values["external_directory"], source, values["local_network"],
                           MappingProxyType(tools))


def _tool_rules(table: Any, source: str) -> dict[str, str]:
    """`tools = { write_file = "deny", bash = "ask" }`: any name a tool answers to, kept under our name."""
    from codetether.tool.support.names import canonical

    if not isinstance(table, dict):
        raise ConfigError(f"{source}: 'permission.tools' must be a table of tool = action",
                          'Example: tools = { write = "ask", bash = "deny" }')
    return {canonical(name): _action(f"permission.tools.{name}", action, source) for name, action in table.items()}


def _action(key: str, value: Any, source: str) -> str:
    if value not in ACTIONS:
        raise ConfigError(f"{source}: '{key}' must be one of {', '.join(ACTIONS)}, got {value!r}")
    return value
