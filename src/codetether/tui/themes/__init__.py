"""Themes: the seed's presets (dark, light, solarized-dark, solarized-light), TOML files in
~/.config/codetether-agent/themes/ (reloaded when they change), and the config's ui.theme / ui.custom_theme."""

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
# The seed's solarized presets (spec §13.5), on Ethan Schoonover's palette.
SOLARIZED_DARK = Theme(name="solarized-dark", primary="#268bd2", secondary="#859900", accent="#b58900",
                       warning="#cb4b16", error="#dc322f", success="#859900", foreground="#839496",
                       background="#002b36", surface="#073642", panel="#0b4250", dark=True)
SOLARIZED_LIGHT = Theme(name="solarized-light", primary="#268bd2", secondary="#859900", accent="#b58900",
                        warning="#cb4b16", error="#dc322f", success="#859900", foreground="#586e75",
                        background="#fdf6e3", surface="#eee8d5", panel="#e4ddc8", dark=False)
PRESETS = (DARK, LIGHT, SOLARIZED_DARK, SOLARIZED_LIGHT)
BUILTIN = {"dark": DARK, "default": DARK, "light": LIGHT, **{t.name: t for t in PRESETS}}
CUSTOM = "codetether-custom"  # ui.custom_theme's colours over the chosen theme
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


def config_theme(name: str, custom: dict[str, object], known: dict[str, Theme]) -> tuple[Theme, list[str]]:
    """The theme `ui.theme` names (a preset, or any theme in `known`), with `ui.custom_theme`'s colours over it;
    problems come back as messages and leave the dark preset or the uncustomised theme in place."""
    problems: list[str] = []
    base = BUILTIN.get(name) or known.get(name)
    if base is None:
        problems.append(f"ui.theme: unknown theme '{name}'; using dark (presets: dark, light, solarized-dark, "
                        "solarized-light, or a theme file's name)")
        base = DARK
    if not custom:
        return base, problems
    unknown = sorted(set(custom) - set(FIELDS))
    if unknown:
        problems.append(f"ui.custom_theme: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
    from textual.color import Color, ColorParseError

    colours = {}
    for key, value in custom.items():
        if key not in FIELDS:
            continue
        try:
            Color.parse(str(value))
            colours[key] = str(value)
        except ColorParseError:
            problems.append(f"ui.custom_theme.{key}: {value!r} is not a colour (e.g. \"#ff8700\" or \"orange\")")
    if not colours:
        return base, problems
    fields = {k: getattr(base, k) for k in (*FIELDS, "dark")}
    return Theme(name=CUSTOM, **{**fields, **colours}), problems
