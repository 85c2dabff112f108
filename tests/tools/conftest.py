"""Fixtures for the tool tests: a workspace in tmp_path and a synchronous way to call a tool."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from codetether.tool.base import ToolContext, ToolResult
from codetether.tool.registry import load_tool


def call(name: str, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    """Run a tool the way the agent loop does: through Tool.execute, which validates first."""
    return asyncio.run(load_tool(name).execute(args, ctx))


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(root=tmp_path)


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory outside the workspace, with one file in it."""
    path = tmp_path_factory.mktemp("outside")
    (path / "secret.txt").write_text("top secret\n")
    return path
