"""`[lsp.<language>]` tables: which language server to start for which file extensions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codetether.errors import ConfigError

EXAMPLE = '[lsp.rust]\ncommand = ["rust-analyzer"]\nextensions = [".rs"]'


@dataclass(frozen=True)
class LspServerConfig:
    language: str
    command: tuple[str, ...]
    extensions: tuple[str, ...]


def parse_lsp(raw: Any, source: str) -> dict[str, LspServerConfig]:
    """Validate the [lsp] section; every problem names the key and shows a working example."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [lsp] must be a table of [lsp.<language>] tables", f"Example:\n{EXAMPLE}")
    servers: dict[str, LspServerConfig] = {}
    for language, table in raw.items():
        where = f"{source}: lsp.{language}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table with 'command' and 'extensions'", f"Example:\n{EXAMPLE}")
        unknown = set(table) - {"command", "extensions"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}",
                              "Only 'command' and 'extensions' are read.")
        command = table.get("command")
        if not (isinstance(command, list) and command and all(isinstance(p, str) and p for p in command)):
            raise ConfigError(f"{where}.command must be a non-empty list of strings, got {command!r}",
                              f"Example:\n{EXAMPLE}")
        extensions = table.get("extensions")
        if not (isinstance(extensions, list) and extensions and all(isinstance(e, str) and e for e in extensions)):
            raise ConfigError(f"{where}.extensions must be a non-empty list of file extensions, got {extensions!r}",
                              f"Example:\n{EXAMPLE}")
        normal = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
        servers[language] = LspServerConfig(language, tuple(command), normal)
    return servers
