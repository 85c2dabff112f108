"""Themes: two built-ins and TOML files in ~/.config/codetether-agent/themes/, reloaded when they change."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.theme import Theme

from codetether.config.paths import config_dir

DARK = Theme(name="codetether-dark", primary="#00afd7", secondary="#5fd787", accent="#d7af00", warning="#d7af00",
             error="#ff5f5f", success="#5fd787", foreground="#d0d0d0", background="#121212", surface="#1c1c1c",
             panel="#262626", dark=True)
LIGHT = Theme(name="codetether-light", primary="#005f87", secondary="#008700", accent="#875f00", warning="#875f00",
              error="#af0000", success="#008700", foreground="#1c1c1c", background="#ffffff", surface="#f0f0f0",
              panel="#e4e4e4", dark=False)
BUILTIN = {"dark": DARK, "light": LIGHT, DARK.name: DARK, LIGHT.name: LIGHT}
FIELDS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "success", "warning",
          "error", "boost")


def themes_dir() -> Path:
    return config_dir() / "themes"


def load_theme_file(path: Path) -> Theme:
    """One theme from TOML: `primary` is required; name defaults to the file name; `dark` to true."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not a readable TOML file ({exc})") from None
    if not isinstance(data.get("primary"), str):
        raise ValueError(f"{path}: 'primary' is missing; set it to a colour such as primary = \"#00afd7\"")
    unknown = set(data) - {*FIELDS, "name", "dark"}
    if unknown:
        raise ValueError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}; allowed: name, dark, "
                         + ", ".join(FIELDS))
    colours = {k: data[k] for k in FIELDS if k in data}
    try:
        return Theme(name=str(data.get("name") or path.stem), dark=bool(data.get("dark", True)), **colours)
    except Exception as exc:  # Theme checks colour syntax; name the file rather than fail obscurely
        raise ValueError(f"{path}: {exc}") from None


@dataclass
class ThemeFiles:
    """Theme files seen so far, by mtime, so `scan` returns only what changed."""

    directory: Path = field(default_factory=themes_dir)
    seen: dict[Path, float] = field(default_factory=dict)

    def scan(self) -> tuple[list[Theme], list[str]]:
        """Themes whose file is new or changed since the last scan, and errors to show."""
        themes, errors = [], []
        try:
            paths = sorted(self.directory.glob("*.toml"))
        except OSError:
            return [], []
        for path in paths:
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if self.seen.get(path) == mtime:
                continue
            self.seen[path] = mtime
            try:
                themes.append(load_theme_file(path))
            except ValueError as exc:
                errors.append(str(exc))
        return themes, errors
