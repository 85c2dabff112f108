"""Load, validate, override and save the TOML config: the user's file, then the project's files over it (only what a
project may set), then the environment. Unknown keys are warnings naming file and line; bad values are errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.config.layer import Layer, read_layer
from codetether.config.lsp import LspServerConfig, parse_lsp
from codetether.config.paths import config_file
from codetether.config.permission import PermissionRules, parse_permission
from codetether.config.schema import ALIASES, BY_NAME, KEYS, Key
from codetether.config.source import Source
from codetether.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_WARNED: set[str] = set()  # each warning once per process, however often the config is loaded


@dataclass
class Config:
    values: dict[str, Any] = field(default_factory=dict)  # dotted key -> value, defaults filled in
    extra: dict[str, Any] = field(default_factory=dict)  # sections we do not type (e.g. [permission])
    path: Path | None = None  # the user's file
    project_files: list[Path] = field(default_factory=list)  # project files merged over it
    warnings: list[str] = field(default_factory=list)

    def get(self, dotted: str) -> Any:
        return self.values[dotted] if dotted in self.values else BY_NAME[dotted].default

    @property
    def default_model(self) -> str:
        return self.values["default.model"]

    @property
    def permission(self) -> PermissionRules:
        return parse_permission(self.extra.get("permission"), self.permission_source)

    @property
    def permission_source(self) -> str:
        return " over ".join(map(str, [*reversed(self.project_files), self.path or "defaults"])) \
            if self.project_files and "permission" in self.extra else str(self.path or "defaults")

    @property
    def lsp_servers(self) -> dict[str, LspServerConfig]:
        """Configured language servers by language, from the [lsp.<language>] tables."""
        return parse_lsp(self.extra.get("lsp"), str(self.path or "defaults"))


def load(path: Path | None = None, env: dict[str, str] | None = None, *, project: Path | None = None,
         warn: Callable[[str], None] | None = None) -> Config:
    """The user's file (if any), the project's files found from `project` (default: the current directory; none
    when an explicit `path` is given without `project`), then environment overrides. `warn` gets each warning
    (default: stderr, once per process)."""
    explicit = path is not None
    path = path or config_file()
    env = os.environ if env is None else env
    warnings: list[str] = []
    user = read_layer(_read(path), warnings.append) if path.exists() else Layer({}, {})
    values = {k.dotted: k.default for k in KEYS} | user.values
    extra = dict(user.extra)
    found: list[Path] = []
    if project is not None or not explicit:
        from codetether.config.project import merge_project, project_files

        for project_path in project_files(project or Path.cwd()):
            if project_path.resolve() == path.resolve():
                continue
            layer = read_layer(_read(project_path), warnings.append)
            merge_project(values, extra, layer, warnings.append)
            found.append(project_path)
    for key in KEYS:
        if key.env and env.get(key.env) not in (None, ""):
            values[key.dotted] = parse_value(key, env[key.env], source=f"environment variable {key.env}")
    config = Config(values, extra, path, found, warnings)
    parse_permission(extra.get("permission"), config.permission_source)  # fail at load, not at the first tool call
    parse_lsp(extra.get("lsp"), str(path))
    for message in warnings:
        (warn or _stderr_once)(message)
    return config


def _stderr_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"warning: {message}", file=sys.stderr)


def read_raw(path: Path) -> dict[str, Any]:
    """The file's TOML as written ({} when there is no file), for changes that keep everything else in it."""
    return _read(path).raw if path.exists() else {}


def _read(path: Path) -> Source:
    import tomllib

    try:
        text = path.read_bytes().decode("utf-8")
        return Source(path, text, tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already carries "(at line N, column M)".
        raise ConfigError(f"{path} is not valid TOML: {exc}",
                          "Fix the line above, or move the file away and run `codetether config --init`.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not valid TOML: it is not UTF-8 text",
                          "Save it as UTF-8, or move it away and run `codetether config --init`.") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def check_type(key: Key, value: Any, source: str) -> Any:
    ok = isinstance(value, key.type) and not (key.type is int and isinstance(value, bool))
    if key.type is list and ok and not all(isinstance(item, str) for item in value):
        ok = False
    if not ok:
        raise ConfigError(f"{source}: '{key.dotted}' must be {_type_word(key.type)}, got {value!r}")
    if key.minimum is not None and value < key.minimum:
        raise ConfigError(f"{source}: '{key.dotted}' must be at least {key.minimum}, got {value}")
    if key.choices and value not in key.choices:
        shown = ", ".join(choice or '""' for choice in key.choices)
        raise ConfigError(f"{source}: '{key.dotted}' must be one of {shown}")
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
    if key.type is dict:
        raise ConfigError(f"{source}: '{key.dotted}' is a table; edit it in the config file "
                          f"(`codetether config --path`)")
    if key.type is int:
        try:
            number = int(text)
        except ValueError:
            raise ConfigError(f"{source}: '{key.dotted}' must be an integer, got {text!r}") from None
        return check_type(key, number, source)
    return check_type(key, text, source)


def set_value(assignment: str, path: Path | None = None) -> tuple[Key, Any]:
    """Apply `section.key=value` (or the spec's `default_model=...`) to the user's config file, atomically, keeping
    everything else in it."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects key=value, got {assignment!r}", "Example: --set default_model=openai/gpt-4o")
    given, text = (s.strip() for s in assignment.split("=", 1))
    key = BY_NAME.get(ALIASES.get(given, given))
    if key is None:
        raise ConfigError(f"unknown config key '{given}'", _known_keys_hint())
    value = parse_value(key, text, source="--set")
    path = path or config_file()
    raw = read_raw(path)
    spelled = [name for name, target in ALIASES.items() if target == key.dotted and "." not in name]
    if given in spelled or any(name in raw for name in spelled):  # the file uses the top-level spelling
        for name in spelled:
            raw.pop(name, None)
        raw[spelled[0]] = value
        _drop_key(raw, key)
    else:
        table = raw.setdefault(key.section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{key.section}' must be a table ([{key.section}]) to hold '{key.dotted}'",
                              f"Fix or remove the '{key.section} = ...' line in {path}.")
        for old in (n.split(".", 1)[1] for n, target in ALIASES.items() if target == key.dotted and "." in n):
            table.pop(old, None)  # a2a.server -> a2a.server_url: one spelling in the file
        table[key.name] = value
    save_raw(raw, path)
    return key, value


def _drop_key(raw: dict[str, Any], key: Key) -> None:
    table = raw.get(key.section)
    if isinstance(table, dict):
        table.pop(key.name, None)
        if not table:
            raw.pop(key.section)


def save_raw(raw: dict[str, Any], path: Path) -> None:
    import tomli_w

    path.parent.mkdir(parents=True, exist_ok=True)
    # Top-level values first: TOML reads a key after a [table] header as part of that table.
    ordered = {k: v for k, v in raw.items() if not isinstance(v, dict)} | \
        {k: v for k, v in raw.items() if isinstance(v, dict)}
    _replace(path, tomli_w.dumps(ordered).encode())


def _replace(path: Path, data: bytes) -> None:
    """The user's config file replaced whole or not at all (a crash or a full disk leaves the old one)."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def default_document() -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key in KEYS:
        doc.setdefault(key.section, {})[key.name] = key.default
    return doc


def _type_word(kind: type) -> str:
    return {bool: "true or false", int: "an integer", str: "a string", list: "a list of strings",
            dict: "a table"}.get(kind, kind.__name__)


def _known_keys_hint() -> str:
    return "Known keys: " + ", ".join([*BY_NAME, *(a for a in ALIASES if "." not in a)])
