"""function_tool: a Python function's signature and docstring become the schema the model sees; what it
returns or raises becomes the result the model reads."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest

import codetether
from codetether import ToolContext, ToolError, ToolResult, function_tool


def call(tool: codetether.Tool, args: dict, tmp_path) -> ToolResult:
    return asyncio.run(tool.execute(args, ToolContext(root=tmp_path)))


def test_schema_from_hints_defaults_and_docstrings():
    def search(query: str, limit: int = 10, ratio: float | None = None, tags: list[str] | None = None,
               mode: Literal["fast", "full"] = "fast", exact: bool = False, extra: dict | None = None) -> str:
        """Search the notes.

        More words about it.

        Args:
            query: What to look for,
                over two lines.
            limit: At most this many.

        Returns:
            The hits.
        """
        return query

    tool = function_tool(search)
    assert tool.name == "search" and tool.description == "Search the notes.\n\nMore words about it."
    assert tool.read_only is False
    assert tool.parameters == {"type": "object", "required": ["query"], "properties": {
        "query": {"type": "string", "description": "What to look for, over two lines."},
        "limit": {"type": "integer", "description": "At most this many."},
        "ratio": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}},
        "mode": {"type": "string", "enum": ["fast", "full"]}, "exact": {"type": "boolean"},
        "extra": {"type": "object"}}}


def test_rest_docstring_and_decorator_options():
    @function_tool(name="get-user", read_only=True)
    def fetch(user_id: int) -> dict:
        """Fetch a user.

        :param user_id: The numeric id.
        """
        return {"id": user_id}

    assert fetch.name == "get-user" and fetch.read_only
    assert fetch.description == "Fetch a user."
    assert fetch.parameters["properties"]["user_id"] == {"type": "integer", "description": "The numeric id."}


def test_results_errors_and_context(tmp_path):
    seen = []

    @function_tool
    async def where(ctx: ToolContext, name: str) -> str:
        """Say where."""
        seen.append(ctx.root)
        return f"{name} in {ctx.root.name}"

    @function_tool
    def fail(reason: str) -> str:
        """Fail."""
        raise ToolError(reason)

    @function_tool
    def crash(n: int) -> int:
        """Crash."""
        return 1 // n

    @function_tool
    def result(n: int) -> ToolResult:
        """A ToolResult as is."""
        return ToolResult("custom", success=False, metadata={"n": n})

    assert "ctx" not in where.parameters["properties"]
    assert call(where, {"name": "x"}, tmp_path).output == f"x in {tmp_path.name}" and seen
    assert call(fail, {"reason": "no quota"}, tmp_path).output == "fail failed: no quota"
    crashed = call(crash, {"n": 0}, tmp_path)
    assert not crashed.success and "ZeroDivisionError" in crashed.output  # the model reads it; the run goes on
    assert call(crash, {"n": "one"}, tmp_path).output == "invalid arguments for crash: 'n' must be integer, got string"
    assert call(result, {"n": 2}, tmp_path) == ToolResult("custom", False, {"n": 2})


def unhinted(x):
    """Doc."""
    return x


def variadic(*args: int) -> int:
    """Doc."""
    return 0


@pytest.mark.parametrize(("fn", "message"), [(unhinted, "needs a type hint"), (variadic, "can't be described")])
def test_functions_the_model_cant_be_told_about_are_refused(fn, message):
    with pytest.raises(ValueError, match=message):
        function_tool(fn)


def test_unsupported_types_names_and_missing_docstrings_are_refused():
    def union(x: int | str) -> str:
        """Doc."""
        return ""

    def undocumented(x: int) -> int:
        return x

    def custom(x: complex) -> int:
        """Doc."""
        return 0

    with pytest.raises(ValueError, match="union of several types"):
        function_tool(union)
    with pytest.raises(ValueError, match="docstring"):
        function_tool(undocumented)
    with pytest.raises(ValueError, match="can't be described to a model"):
        function_tool(custom)
    with pytest.raises(ValueError, match="1-64 letters"):
        function_tool(custom, name="has space")
