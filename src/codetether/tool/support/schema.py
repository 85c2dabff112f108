"""A small JSON-schema validator for tool arguments, with messages that name the field."""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def validate_arguments(schema: dict[str, Any], value: Any, where: str = "") -> str | None:
    """Return a description of the first problem, or None when the value matches."""
    expected = schema.get("type")
    label = where or "arguments"
    if expected:
        kinds = expected if isinstance(expected, list) else [expected]
        if not any(_is_type(value, k) for k in kinds):
            return f"'{label}' must be {' or '.join(kinds)}, got {_type_name(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"'{label}' must be one of {', '.join(map(repr, schema['enum']))}, got {value!r}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"'{label}' must be >= {schema['minimum']}, got {value}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"'{label}' must be <= {schema['maximum']}, got {value}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value or value[name] is None:
                return f"missing required field '{_join(where, name)}'"
        props = schema.get("properties", {})
        for name, sub in value.items():
            if name in props and sub is not None:
                problem = validate_arguments(props[name], sub, _join(where, name))
                if problem:
                    return problem
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problem = validate_arguments(schema["items"], item, f"{label}[{i}]")
            if problem:
                return problem
    return None


def _is_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return True
    return isinstance(value, _TYPES.get(kind, (object,)))


def _type_name(value: Any) -> str:
    for name, kinds in _TYPES.items():
        if isinstance(value, kinds) and not isinstance(value, bool) or (name == "boolean" and isinstance(value, bool)):
            return name
    return "null" if value is None else type(value).__name__


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
