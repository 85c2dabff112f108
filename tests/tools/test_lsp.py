"""lsp against the real pylsp: definition, references, hover, symbols, diagnostics; config; errors; shutdown."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from codetether.config.load import Config, load
from codetether.errors import ConfigError
from codetether.lsp.manager import get_manager
from codetether.tool import lsp as lsp_tool
from codetether.tool.base import ToolContext, ToolResult
from codetether.tool.registry import load_tool

pytestmark = pytest.mark.skipif(not (Path(sys.executable).parent / "pylsp").is_file(),
                                reason="python-lsp-server is not installed in this environment")

LIB = '''def greet(name):
    """Say hello to someone by name."""
    return "hi " + name


class Box:
    def size(self):
        return 1
'''
MAIN = '''from lib import Box, greet

print(greet("ünï"), greet("x"))
print(undefined_name)
box = Box()
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "lib.py").write_text(LIB)
    (root / "main.py").write_text(MAIN)
    (root / "main.rs").write_text("fn main() {}\n")
    return root


def calls(ctx: ToolContext, *argument_sets: dict[str, Any]) -> list[ToolResult]:
    """Several calls on one event loop (servers are reused within it), then the clean shutdown."""
    async def go() -> list[ToolResult]:
        tool = load_tool("lsp")
        try:
            return [await tool.execute(args, ctx) for args in argument_sets]
        finally:
            await get_manager().close()
    return asyncio.run(go())


def test_definition_references_hover_symbols_and_diagnostics(project: Path):
    ctx = ToolContext(root=project, config=Config())
    definition, references, no_decl, hover, symbols, diagnostics = calls(
        ctx,
        {"action": "goToDefinition", "path": "main.py", "line": 3, "column": 23},  # the second greet
        {"action": "find-references", "path": "lib.py", "line": 1, "column": 5},
        {"action": "find_references", "path": "lib.py", "line": 1, "column": 5, "include_declaration": False},
        {"action": "hover", "file_path": "main.py", "line": 3, "column": 7},
        {"action": "documentSymbol", "path": "lib.py"},
        {"action": "diagnostics", "path": "main.py"},
    )
    assert definition.output == "lib.py:1:5: def greet(name):", definition.output
    assert references.output.splitlines() == ["lib.py:1:5: def greet(name):",
                                              "main.py:1:22: from lib import Box, greet",
                                              "main.py:3:7: print(greet(\"ünï\"), greet(\"x\"))",
                                              "main.py:3:21: print(greet(\"ünï\"), greet(\"x\"))"]
    assert no_decl.output.splitlines() == references.output.splitlines()[2:]  # jedi counts the import too
    assert "greet(name)" in hover.output and "Say hello to someone by name." in hover.output
    assert symbols.output.splitlines() == ["function greet  lib.py:1:1", "class Box  lib.py:6:1",
                                           "method size in Box  lib.py:7:5"]
    assert diagnostics.success
    assert "main.py:4:7 error [pyflakes] undefined name 'undefined_name'" in diagnostics.output


def test_server_is_reused_and_sees_edits(project: Path):
    ctx = ToolContext(root=project, config=Config())

    async def go() -> tuple[list[str], int]:
        tool = load_tool("lsp")
        manager = get_manager()
        try:
            first = await tool.execute({"action": "diagnostics", "path": "main.py"}, ctx)
            (project / "main.py").write_text(MAIN.replace("undefined_name", "Box"))
            second = await tool.execute({"action": "diagnostics", "path": "main.py"}, ctx)
            assert len(manager) == 1  # one server answered both calls
            process = next(iter(manager._servers.values())).process
        finally:
            await manager.close()
        assert process is not None
        return [first.output, second.output], process.returncode  # type: ignore[return-value]

    (first, second), code = asyncio.run(go())
    assert "undefined name" in first and second == "no diagnostics for main.py"
    assert code == 0  # it exited on shutdown + exit, not a kill


def test_columns_are_characters_and_lsp_gets_utf16_offsets():
    # pylsp itself counts code points, so astral characters are checked here rather than end to end.
    line = 'x = "𝔘"; greet()'
    assert lsp_tool._position({"action": "hover", "line": 1, "column": 11}, [line]) == {"line": 0, "character": 11}
    assert lsp_tool._column(line, 11) == 11 and lsp_tool._column(line, 4) == 5
    assert lsp_tool._position({"action": "hover", "line": 1, "column": 3}, [line]) == {"line": 0, "character": 2}


def test_unsupported_file_type_says_how_to_configure(project: Path):
    (result,) = calls(ToolContext(root=project, config=Config()), {"action": "hover", "path": "main.rs",
                                                                   "line": 1, "column": 4})
    assert not result.success
    assert "no language server is configured for '.rs' files" in result.output
    assert "[lsp.rust]" in result.output and 'command = ["rust-analyzer"]' in result.output


def test_configured_server_for_other_extensions(project: Path, tmp_path: Path):
    config_file = tmp_path / "config.toml"
    pylsp = str(Path(sys.executable).parent / "pylsp")
    config_file.write_text(f'[lsp.pythonish]\ncommand = ["{pylsp}"]\nextensions = ["pyw"]\n')
    (project / "tool.pyw").write_text(LIB)
    (result,) = calls(ToolContext(root=project, config=load(config_file, env={})),
                      {"action": "goToDefinition", "path": "tool.pyw", "line": 1, "column": 6})
    assert result.output == "tool.pyw:1:5: def greet(name):", result.output
    assert result.metadata["language"] == "pythonish"
    broken = ToolContext(root=project, config=Config(extra={"lsp": {"rust": {"command": "rust-analyzer"}}}))
    (failed,) = calls(broken, {"action": "hover", "path": "main.rs", "line": 1, "column": 1})
    assert "lsp.rust.command must be a non-empty list of strings" in failed.output
    config_file.write_text('[lsp.go]\ncommand = ["gopls"]\n')
    with pytest.raises(ConfigError, match="lsp.go.extensions must be a non-empty list"):
        load(config_file, env={})


def test_server_that_cannot_start(project: Path):
    config = Config(extra={"lsp": {"rust": {"command": ["/nonexistent/rust-analyzer"], "extensions": [".rs"]}}})
    (result,) = calls(ToolContext(root=project, config=config), {"action": "hover", "path": "main.rs",
                                                                 "line": 1, "column": 4})
    assert not result.success
    assert "rust language server (`/nonexistent/rust-analyzer`) failed to start" in result.output


def test_bad_arguments_name_the_field(project: Path):
    ctx = ToolContext(root=project, config=Config())
    results = calls(
        ctx,
        {},
        {"action": "jump"},
        {"action": "hover"},
        {"action": "hover", "path": "main.py", "column": 2},
        {"action": "hover", "path": "main.py", "line": 99, "column": 1},
        {"action": "hover", "path": "main.py", "line": 1, "column": 80},
        {"action": "hover", "path": "main.py", "line": 0, "column": 1},
        {"action": "workspaceSymbol"},
        {"action": "documentSymbol", "path": "missing.py"},
    )
    expected = ["missing required field 'action'", "'action' 'jump' is not known; use one of goToDefinition",
                "missing required field 'path'", "missing required field 'line'", "'line' 99 is past the end",
                "'column' 80 is past the end of line 1", "'line' must be >= 1",
                "missing required field 'query'", "'path' 'missing.py' does not exist"]
    for result, text in zip(results, expected, strict=True):
        assert not result.success and text in result.output, (text, result.output)
