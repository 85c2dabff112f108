"""Fit parsed tool arguments to the tool's schema where nothing can change meaning: misnamed parameters with one
candidate, values of the wrong JSON type that convert losslessly ("5" -> 5), a repeated {name, arguments} envelope.

Every change is described in the returned repair list; anything with two readings is left for validation to refuse.
"""

from __future__ import annotations

import re
from typing import Any

from codetether.lenient_json import JsonDamage, parse_value
from codetether.tool.support.names import normalize

# Other agents' names for our parameters (normalized, see tool.names.normalize), matched only when exactly one
# parameter of the schema answers to the name and the model did not also give that parameter.
PARAM_ALIASES: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "path": ("filepath", "filename", "file", "filepathname", "pathname", "targetfile", "absolutepath",
             "relativepath", "fullpath", "dirpath", "directory", "dir", "folder", "targetpath", "uri"),
    "content": ("contents", "text", "filetext", "filecontent", "filecontents", "data", "body", "code"),
    "command": ("cmd", "commandline", "shellcommand", "bashcommand", "script"),
    "oldstring": ("oldstr", "oldtext", "old", "search", "find", "original", "oldcode", "before"),
    "newstring": ("newstr", "newtext", "new", "replace", "replacement", "newcode", "after"),
    "pattern": ("regex", "regexp", "globpattern", "searchpattern", "search"),
    "query": ("q", "search", "searchquery", "searchterm", "keywords"),
    "url": ("uri", "link", "href"),
    "offset": ("startline", "fromline", "lineoffset", "linestart", "start"),
    "limit": ("maxlines", "numlines", "linecount"),
}.items()}
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ENVELOPE_KEYS = ("arguments", "parameters", "args", "input")


class ArgumentConflict(ValueError):
    """The arguments say one thing twice with different values: no choice between them is safe."""


def fit_arguments(tool_name: str, schema: dict[str, Any], args: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The arguments fitted to `schema` and what was changed; ArgumentConflict when a fit would drop content."""
    repairs: list[str] = []
    args = _unwrap_envelope(tool_name, schema, args, repairs)
    return _fit_object(schema, args, "", repairs), repairs


def _unwrap_envelope(tool_name: str, schema: dict[str, Any], args: dict[str, Any],
                     repairs: list[str]) -> dict[str, Any]:
    """{"name": "read", "arguments": {...}} (or just {"arguments": {...}}) sent as read's own arguments."""
    props = schema.get("properties") or {}
    keys = [k for k in args if k not in props]
    inner_keys = [k for k in keys if k in _ENVELOPE_KEYS]
    if len(inner_keys) != 1 or set(keys) - {inner_keys[0], "name"} or len(args) != len(keys):
        return args
    if "name" in args and normalize(str(args["name"])) != normalize(tool_name):
        return args
    inner = args[inner_keys[0]]
    if isinstance(inner, str):
        try:
            inner = parse_value(inner).value
        except JsonDamage:
            return args
    if not isinstance(inner, dict):
        return args
    repairs.append(f"arguments nested in a {{{', '.join(args)}}} envelope unwrapped")
    return inner


def _fit_object(schema: dict[str, Any], value: dict[str, Any], where: str, repairs: list[str]) -> dict[str, Any]:
    props: dict[str, Any] = schema.get("properties") or {}
    if not props:
        return value
    value = _rename(props, value, where, repairs)
    return {k: _fit(props[k], v, _join(where, k), repairs) if k in props else v for k, v in value.items()}


def _rename(props: dict[str, Any], value: dict[str, Any], where: str, repairs: list[str]) -> dict[str, Any]:
    moves: dict[str, list[str]] = {}
    for key in value:
        if key in props:
            continue
        fits = [p for p in props if _answers_to(p, key)]
        present = [p for p in fits if p in value]
        for param in present:
            if value[param] != value[key]:
                raise ArgumentConflict(f"both '{_join(where, param)}' and '{_join(where, key)}' are given, with "
                                       "different values")
        missing = [p for p in fits if p not in value]
        if len(fits) == 1 and len(missing) == 1:
            moves.setdefault(missing[0], []).append(key)
    renamed = {key: param for param, keys in moves.items() if len(keys) == 1 for key in keys}
    if not renamed:
        return value
    for key, param in renamed.items():
        repairs.append(f"parameter '{_join(where, key)}' read as '{_join(where, param)}'")
    return {renamed.get(k, k): v for k, v in value.items()}


def _answers_to(param: str, key: str) -> bool:
    wanted, given = normalize(param), normalize(key)
    return given == wanted or given in PARAM_ALIASES.get(wanted, frozenset())


def _fit(schema: dict[str, Any], value: Any, where: str, repairs: list[str]) -> Any:
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    if not kinds or _matches(value, kinds):
        value = _enum(schema, value, where, repairs)
        return _descend(schema, value, where, repairs)
    for kind in kinds:
        converted = _convert(value, kind, schema)
        if converted is not _NO:
            repairs.append(f"'{where}' given as {_show(value)}, read as {kind}"
                           + ("" if isinstance(converted, (list, dict)) else f" {_show(converted)}"))
            return _descend(schema, converted, where, repairs)
    return value


def _descend(schema: dict[str, Any], value: Any, where: str, repairs: list[str]) -> Any:
    if isinstance(value, dict):
        return _fit_object(schema, value, where, repairs)
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        return [_fit(items, item, f"{where}[{i}]", repairs) for i, item in enumerate(value)]
    return value


def _enum(schema: dict[str, Any], value: Any, where: str, repairs: list[str]) -> Any:
    options = schema.get("enum")
    if not isinstance(value, str) or not options or value in options:
        return value
    same = [o for o in options if isinstance(o, str) and o.lower() == value.lower()]
    if len(same) == 1:
        repairs.append(f"'{where}' {_show(value)} read as {_show(same[0])}")
        return same[0]
    return value


_NO = object()


def _convert(value: Any, kind: str, schema: dict[str, Any] | None = None) -> Any:
    """`value` as `kind` when that is lossless and has one reading, else _NO."""
    if isinstance(value, str):
        text = value.strip()
        if kind == "integer" and _INTEGER.fullmatch(text):
            return int(text)
        if kind == "number" and _NUMBER.fullmatch(text):
            number = float(text)
            return int(number) if _INTEGER.fullmatch(text) else number
        if kind == "boolean" and text in ("true", "false", "True", "False"):
            return text.lower() == "true"
        if kind in ("array", "object") and text[:1] in "[{":
            try:
                parsed = parse_value(text).value
            except JsonDamage:
                return _NO
            if isinstance(parsed, list if kind == "array" else dict):
                return parsed
        return _NO
    if kind == "array" and isinstance(value, (dict, str)) and _matches(value, _kinds(schema or {}, "items")):
        return [value]  # one item where a list of such items is wanted
    if isinstance(value, bool):
        return _NO
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "string" and isinstance(value, int):
        return str(value)
    return _NO


def _kinds(schema: dict[str, Any], key: str) -> list[str]:
    inner = schema.get(key)
    kinds = inner.get("type") if isinstance(inner, dict) else None
    return kinds if isinstance(kinds, list) else [kinds] if kinds else []


def _matches(value: Any, kinds: list[str]) -> bool:
    for kind in kinds:
        if kind == "null" and value is None:
            return True
        if kind == "boolean" and isinstance(value, bool):
            return True
        if isinstance(value, bool):
            continue
        if kind == "integer" and isinstance(value, int) or kind == "number" and isinstance(value, (int, float)):
            return True
        if {"string": str, "array": list, "object": dict}.get(kind) is type(value):
            return True
    return False


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        return "a JSON string"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
