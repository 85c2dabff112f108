"""Python functions as tools the model can call: the JSON schema comes from the signature and the docstring."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, overload

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # what every provider accepts as a function name


@overload
def function_tool(fn: Callable[..., Any], /, *, name: str | None = None, description: str | None = None,
                  read_only: bool = False) -> Tool: ...


@overload
def function_tool(*, name: str | None = None, description: str | None = None,
                  read_only: bool = False) -> Callable[[Callable[..., Any]], Tool]: ...


def function_tool(fn: Callable[..., Any] | None = None, /, *, name: str | None = None,
                  description: str | None = None, read_only: bool = False) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """A Tool calling `fn` (sync or async) with the model's arguments; its return value becomes the result.
    Also a decorator: `@function_tool` or `@function_tool(name=..., read_only=True)`.

    Parameters need type hints (str, int, float, bool, list[...], dict, Literal[...], X | None); a parameter
    annotated ToolContext (or named `ctx`) receives the tool context instead. A str return is the output, a
    ToolResult is used as is, anything else is sent as JSON. Raise ToolError for a failure the model should read.
    `read_only`: the tool changes nothing, so read-only agents (plan, explore) may call it."""
    if fn is None:
        return lambda f: _make_tool(f, name, description, read_only)
    return _make_tool(fn, name, description, read_only)


def _make_tool(fn: Callable[..., Any], name: str | None, description: str | None, read_only: bool) -> Tool:
    name = name or fn.__name__
    if not _NAME.match(name):
        raise ValueError(f"tool name {name!r} must be 1-64 letters, digits, '_' or '-'")
    summary, documented = _parse_docstring(inspect.getdoc(fn) or "")
    hints = typing.get_type_hints(fn)
    properties: dict[str, Any] = {}
    required: list[str] = []
    context_param: str | None = None
    for param in inspect.signature(fn).parameters.values():
        hint = hints.get(param.name, Any)
        if hint is ToolContext or param.name == "ctx":
            context_param = param.name
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValueError(f"{name}: *args and **kwargs can't be described to a model")
        if hint is Any:
            raise ValueError(f"{name}: parameter {param.name!r} needs a type hint (it becomes the JSON schema)")
        schema, optional = _schema(hint, f"{name}.{param.name}")
        if param.name in documented:
            schema["description"] = documented[param.name]
        properties[param.name] = schema
        if param.default is param.empty and not optional:
            required.append(param.name)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required

    async def run(arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        kwargs = {k: v for k, v in arguments.items() if k in properties}
        if context_param is not None:
            kwargs[context_param] = ctx
        if inspect.iscoroutinefunction(fn):
            value = await fn(**kwargs)
        else:  # a plain function may block (files, network): it runs off the event loop
            value = await asyncio.to_thread(fn, **kwargs)
        return _result(value)

    text = description or summary
    if not text:
        raise ValueError(f"{name}: give the function a docstring (or description=...): the model reads it")
    return Tool(name=name, description=text, parameters=parameters, run=run, read_only=read_only)


def _result(value: Any) -> ToolResult:
    if isinstance(value, ToolResult):
        return value
    if isinstance(value, str):
        return ToolResult(value)
    try:
        return ToolResult(json.dumps(value, ensure_ascii=False, default=str))
    except (TypeError, ValueError) as exc:
        raise ToolError(f"the tool's result can't be sent to the model: {exc}") from None


def _schema(hint: Any, where: str) -> tuple[dict[str, Any], bool]:
    """The JSON schema for a type hint, and whether None is allowed (then the argument is optional)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _schema(rest[0], where)[0], len(rest) < len(args)
        raise ValueError(f"{where}: a union of several types can't be described; use one type (or X | None)")
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}, False
    if origin is Literal:
        kinds = {_SCALARS.get(type(a)) for a in args}
        schema: dict[str, Any] = {"enum": list(args)}
        if len(kinds) == 1 and None not in kinds:
            schema["type"] = kinds.pop()
        return schema, False
    if hint in (list, tuple, set) or origin in (list, tuple, set, frozenset):
        schema = {"type": "array"}
        if args and args[0] is not Ellipsis:
            schema["items"] = _schema(args[0], f"{where}[]")[0]
        return schema, False
    if hint is dict or origin is dict:
        return {"type": "object"}, False
    raise ValueError(f"{where}: type {hint!r} can't be described to a model; "
                     "use str, int, float, bool, list[...], dict, Literal[...] or X | None")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (the text before any section) and each parameter's description, from Google style
    (`Args:` then indented `name: text`) or reST style (`:param name: text`)."""
    summary: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None  # None: still in the summary
    current: str | None = None  # the parameter a continuation line belongs to
    for line in doc.splitlines():
        stripped = line.strip()
        rest = re.match(r":param\s+(?:[\w\[\], |]+\s+)?(\w+):\s*(.*)", stripped)
        if rest:
            section, current = "rest", rest.group(1)
            params[current] = rest.group(2)
        elif re.fullmatch(r"[A-Z][A-Za-z ]*:", stripped) and not line[:1].isspace():
            section, current = stripped[:-1].lower(), None  # Args:, Returns:, Raises:, ...
        elif stripped.startswith(":"):
            section, current = "rest", None  # :returns:, :raises: ...
        elif section is None:
            summary.append(line)
        elif section in ("args", "arguments", "parameters") and (entry := _arg_entry(line)):
            current = entry[0]
            params[current] = entry[1]
        elif current is not None and stripped and line[:1].isspace():
            params[current] = f"{params[current]} {stripped}".strip()
        else:
            current = None
    return "\n".join(summary).strip(), params


def _arg_entry(line: str) -> tuple[str, str] | None:
    """`    name: text` or `    name (type): text`, indented one level under Args:."""
    found = re.match(r"^(\s+)(\w+)\s*(?:\([^)]*\))?:\s*(.*)$", line)
    if found is None or len(found.group(1).expandtabs(4)) > 4:
        return None
    return found.group(2), found.group(3)
