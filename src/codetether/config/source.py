"""A config file's text, so a message about a key can name the line it is on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\-" ]+?)\s*=""")


def _parts(dotted: str) -> list[str]:
    """`a."b.c".d` -> [a, b.c, d]."""
    return [p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]


@dataclass
class Source:
    """One config file (or the defaults, with no path): where each dotted key was written."""

    path: Path | None
    text: str = ""
    raw: dict[str, Any] = field(default_factory=dict)  # the parsed TOML
    _lines: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        table: list[str] = []
        for number, line in enumerate(self.text.splitlines(), 1):
            header = _HEADER.match(line)
            if header:
                table = _parts(header.group(1))
                self._lines.setdefault(".".join(table), number)
                continue
            key = _KEY.match(line)
            if key:
                self._lines.setdefault(".".join([*table, *_parts(key.group(1))]), number)

    @property
    def name(self) -> str:
        return str(self.path) if self.path else "defaults"

    def line(self, dotted: str) -> int | None:
        """The line where `dotted` (or, failing that, its nearest enclosing table) is written."""
        inner = [n for k, n in self._lines.items() if k.startswith(dotted + ".")]  # [providers.openai] for providers
        parts = dotted.split(".")
        while parts:
            found = self._lines.get(".".join(parts))
            if found is not None:
                return found
            if inner:
                return min(inner)
            parts.pop()
        return None

    def at(self, dotted: str) -> str:
        """`/home/u/.config/codetether-agent/config.toml line 12` (or just the file when the key isn't found)."""
        number = self.line(dotted)
        return f"{self.name} line {number}" if number else self.name
