"""Load, validate, override and save the TOML config; every failure names the file and the fix."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.config.lsp import LspServerConfig, parse_lsp
from codetether.config.paths import config_file
from codetether.config.permission import PermissionRules, parse_permission
from codetether.config.schema import BY_NAME, KEYS, SECTIONS, Key
from codetether.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass
class Config:
    values: dict[str, Any] = field(default_factory=dict)  # dotted key -> value, defaults filled in
    extra: dict[str, Any] = field(default_factory=dict)  # sections we do not type (e.g. [permission])
    path: Path | None = None

    def get(self, dotted: str) -> Any:
        return self.values[dotted] if dotted in self.values else BY_NAME[dotted].default

    @property
    def default_model(self) -> str:
        return self.values["default.model"]

    @property
    def permission(self) -> PermissionRules:
        return parse_permission(self.extra.get("permission"), str(self.path or "defaults"))

    @property
    def lsp_servers(self) -> dict[str, LspServerConfig]:
        """Configured language servers by language, from the [lsp.<language>] tables."""
        return parse_lsp(self.extra.get("lsp"), str(self.path or "defaults"))


def load(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read the config file (if any), then apply environment overrides."""
    path = path or config_file()
    env = os.environ if env is None else env
    raw = read_raw(path)
    values = {k.dotted: k.default for k in KEYS}
    extra: dict[str, Any] = {}
    for section, table in raw.items():
        if section not in SECTIONS:
            extra[section] = table
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        for name, value in table.items():
            key = BY_NAME.get(f"{section}.{name}")
            if key is None:
                raise ConfigError(f"{path}: unknown key '{section}.{name}'", _known_keys_hint())
            values[key.dotted] = _check_type(key, value, str(path))
    for key in KEYS:
        if key.env and env.get(key.env) not in (None, ""):
            values[key.dotted] = parse_value(key, env[key.env], source=f"environment variable {key.env}")
    parse_permission(extra.get("permission"), str(path))  # fail at load, not at the first tool call
    parse_lsp(extra.get("lsp"), str(path))
    return Config(values, extra, path)


def read_raw(path: Path) -> dict[str, Any]:
    """The file's TOML as written ({} when there is no file), for changes that keep everything else in it."""
    return _read_toml(path) if path.exists() else {}


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already carries "(at line N, column M)".
        raise ConfigError(f"{path} is not valid TOML: {exc}",
                          "Fix the line above, or move the file away and run `codetether config --init`.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not valid TOML: it is not UTF-8 text",
                          "Save it as UTF-8, or move it away and run `codetether config --init`.") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _check_type(key: Key, value: Any, source: str) -> Any:
    ok = isinstance(value, key.type) and not (key.type is int and isinstance(value, bool))
    if key.type is list and ok and not all(isinstance(item, str) for item in value):
        ok = False
    if not ok:
        raise ConfigError(f"{source}: '{key.dotted}' must be {_type_word(key.type)}, got {value!r}")
    if key.minimum is not None and value < key.minimum:
        raise ConfigError(f"{source}: '{key.dotted}' must be at least {key.minimum}, got {value}")
    if key.choices and value not in key.choices:
        raise ConfigError(f"{source}: '{key.dotted}' must be one of {', '.join(key.choices)}")
    return value


def parse_value(key: Key, text: str, source: str) -> Any:
    """Turn text from the command line or environment into the key's type."""
    if key.type is bool:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(f"{source}: '{key.dotted}' must be true or false, got {text!r}")
    if key.type is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    if key.type is int:
        try:
            number = int(text)
        except ValueError:
            raise ConfigError(f"{source}: '{key.dotted}' must be an integer, got {text!r}") from None
        return _check_type(key, number, source)
    return _check_type(key, text, source)


def set_value(assignment: str, path: Path | None = None) -> tuple[Key, Any]:
    """Apply `section.key=value` to the config file, atomically, keeping untyped sections."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects key=value, got {assignment!r}", "Example: --set default.model=openai/gpt-4o")
    dotted, text = (s.strip() for s in assignment.split("=", 1))
    key = BY_NAME.get(dotted)
    if key is None:
        raise ConfigError(f"unknown config key '{dotted}'", _known_keys_hint())
    value = parse_value(key, text, source="--set")
    path = path or config_file()
    raw = read_raw(path)
    table = raw.setdefault(key.section, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: '{key.section}' must be a table ([{key.section}]) to hold '{key.dotted}'",
                          f"Fix or remove the '{key.section} = ...' line in {path}.")
    table[key.name] = value
    save_raw(raw, path)
    return key, value


def save_raw(raw: dict[str, Any], path: Path) -> None:
    import tomli_w

    from codetether.tool.fsutil import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, tomli_w.dumps(raw))


def default_document() -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key in KEYS:
        doc.setdefault(key.section, {})[key.name] = key.default
    return doc


def _type_word(kind: type) -> str:
    return {bool: "true or false", int: "an integer", str: "a string",
            list: "a list of strings"}.get(kind, kind.__name__)


def _known_keys_hint() -> str:
    return "Known keys: " + ", ".join(BY_NAME)
