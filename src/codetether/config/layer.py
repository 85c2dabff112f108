"""One config file read into typed values and untyped sections. Unknown or unused keys are warnings that name the
file and line; a value of the wrong type is an error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from codetether.config.schema import ALIASES, BY_NAME, NOT_USED, SECTIONS
from codetether.config.source import Source
from codetether.errors import ConfigError

Warn = Callable[[str], None]


@dataclass
class Layer:
    values: dict[str, Any]  # dotted key -> checked value, only what the file sets
    extra: dict[str, Any]  # [permission], [lsp], [mcp], [swarm], with unknown keys left out
    source: Source | None = None


def _permission_keys() -> set[str]:
    from codetether.config.permission import DEFAULTS

    return {*DEFAULTS, "tools"}


def _swarm_keys() -> set[str]:
    from codetether.config.swarm import SwarmConfig

    return {f.name for f in fields(SwarmConfig)}


# Untyped sections and the keys each may hold (None: any key; its parser checks the values).
EXTRA: dict[str, Callable[[], set[str] | None]] = {
    "permission": _permission_keys, "swarm": _swarm_keys, "lsp": lambda: None, "mcp": lambda: {"servers"}}


def read_layer(source: Source, warn: Warn) -> Layer:
    from codetether.config.load import check_type

    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in source.raw.items():
        if name in (*SECTIONS, *EXTRA) and not isinstance(value, dict):
            raise ConfigError(f"{source.at(name)}: '{name}' must be a table ([{name}])",
                              f"Fix or remove the '{name} = ...' line.")
        if name in SECTIONS:
            for key, item in value.items():
                dotted = ALIASES.get(f"{name}.{key}", f"{name}.{key}")
                if dotted in BY_NAME:
                    values[dotted] = check_type(BY_NAME[dotted], item, source.at(f"{name}.{key}"))
                else:
                    warn(_unused(source, f"{name}.{key}", name))
        elif name in ALIASES and not isinstance(value, dict):  # default_model = "..." at the top
            values[ALIASES[name]] = check_type(BY_NAME[ALIASES[name]], value, source.at(name))
        elif name == "permissions" and isinstance(value, dict):  # the spec's spelling: its `tools` map is ours
            for key, item in value.items():
                if key == "tools":
                    extra.setdefault("permission", {}).setdefault("tools", {}).update(item if isinstance(item, dict)
                                                                                      else {})
                else:
                    warn(_unused(source, f"permissions.{key}", "permission"))
        elif name in EXTRA:
            known = EXTRA[name]()
            kept = {k: v for k, v in value.items() if known is None or k in known}
            for key in value.keys() - kept.keys():
                warn(_unused(source, f"{name}.{key}", name))
            if name == "lsp":
                kept = {lang: _lsp_table(source, lang, table, warn) for lang, table in kept.items()}
            extra[name] = {**extra.get(name, {}), **kept}
        else:
            warn(_unused(source, name, None))
    return Layer(values, extra, source)


def _lsp_table(source: Source, language: str, table: Any, warn: Warn) -> Any:
    if not isinstance(table, dict):
        return table  # parse_lsp explains what an [lsp.<language>] table holds
    for key in table.keys() - {"command", "extensions"}:
        warn(f"{source.at(f'lsp.{language}.{key}')}: unknown key 'lsp.{language}.{key}' (ignored); known in "
             f"[lsp.{language}]: command, extensions")
    return {k: v for k, v in table.items() if k in ("command", "extensions")}


def _unused(source: Source, dotted: str, section: str | None) -> str:
    reason = NOT_USED.get(dotted) or NOT_USED.get(dotted.split(".")[0])
    if reason:
        return f"{source.at(dotted)}: '{dotted}' is not used by codetether ({reason}); ignored"
    if section is None:
        known = sorted({*SECTIONS, *EXTRA, *(a for a in ALIASES if "." not in a)})
        return f"{source.at(dotted)}: unknown key '{dotted}' (ignored); known: {', '.join(known)}"
    if section in SECTIONS:
        names = [k.split(".", 1)[1] for k in BY_NAME if k.startswith(section + ".")]
    else:
        names = sorted(EXTRA[section]() or [])
    return f"{source.at(dotted)}: unknown key '{dotted}' (ignored); known in [{section}]: {', '.join(names)}"
