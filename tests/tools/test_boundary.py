"""Every file tool refuses paths outside the workspace, and bad arguments name the field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from codetether.tool.base import ToolContext
from codetether.tool.registry import CORE_TOOLS
from tests.tools.conftest import call


def _calls(target: str) -> list[tuple[str, dict[str, Any]]]:
    patch = f"--- a/{target}\n+++ b/{target}\n@@ -1 +1 @@\n-top secret\n+leaked\n"
    return [
        ("read", {"path": target}),
        ("write", {"path": target, "content": "leaked\n"}),
        ("edit", {"path": target, "old_string": "top secret", "new_string": "leaked"}),
        ("multiedit", {"edits": [{"path": target, "old_string": "top secret", "new_string": "leaked"}]}),
        ("apply_patch", {"patch": patch}),
        ("list", {"path": os.path.dirname(target) or "."}),
        ("glob", {"pattern": "*", "path": os.path.dirname(target) or "."}),
        ("grep", {"pattern": "secret", "path": target}),
        ("bash", {"command": "cat secret.txt", "cwd": os.path.dirname(target) or "."}),
    ]


def _targets(tmp_path: Path, outside: Path) -> dict[str, str]:
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    (tmp_path / "filelink.txt").symlink_to(outside / "secret.txt")
    rel = os.path.relpath(outside / "secret.txt", tmp_path)
    return {"dotdot": rel, "absolute": str(outside / "secret.txt"), "dir-symlink": "link/secret.txt"}


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "dir-symlink"])
def test_file_tools_refuse_paths_outside_workspace(ctx: ToolContext, tmp_path: Path, outside: Path,
                                                   kind: str) -> None:
    target = _targets(tmp_path, outside)[kind]
    assert target.startswith("..") or kind != "dotdot"
    for name, args in _calls(target):
        result = call(name, args, ctx)
        assert not result.success, f"{name} accepted {target}: {result.output}"
        assert "outside the workspace" in result.output, (name, result.output)
    assert (outside / "secret.txt").read_text() == "top secret\n"


def test_file_symlink_to_outside_is_refused(ctx: ToolContext, tmp_path: Path, outside: Path) -> None:
    _targets(tmp_path, outside)
    for name in ("read", "write", "edit"):
        args = {"path": "filelink.txt", "content": "x", "old_string": "top secret", "new_string": "x"}
        result = call(name, {k: v for k, v in args.items() if k in _schema_fields(name)}, ctx)
        assert not result.success and "outside the workspace" in result.output
    assert (outside / "secret.txt").read_text() == "top secret\n"


def test_walkers_do_not_follow_symlinks_out(ctx: ToolContext, tmp_path: Path, outside: Path) -> None:
    _targets(tmp_path, outside)
    assert "secret" not in call("grep", {"pattern": "secret"}, ctx).output.replace("'secret'", "")
    assert "secret.txt" not in call("glob", {"pattern": "**/*"}, ctx).output


def _schema_fields(name: str) -> set[str]:
    from codetether.tool.registry import load_tool

    return set(load_tool(name).parameters["properties"])


# These take no required field: list's path is optional, todo_read has none, plan_exit's summary is optional.
@pytest.mark.parametrize("name", sorted(set(CORE_TOOLS) - {"list", "todo_read", "plan_exit"}))
def test_missing_required_field_is_named(ctx: ToolContext, name: str) -> None:
    from codetether.tool.registry import load_tool

    required = load_tool(name).parameters["required"]
    result = call(name, {}, ctx)
    assert not result.success and f"'{required[0]}'" in result.output


@pytest.mark.parametrize(("name", "args", "field"), [
    ("read", {"path": 3}, "path"),
    ("read", {"path": "a", "offset": "2"}, "offset"),
    ("write", {"path": "a", "content": ["x"]}, "content"),
    ("edit", {"path": "a", "old_string": "x", "new_string": "y", "replace_all": "yes"}, "replace_all"),
    ("multiedit", {"edits": [{"path": "a", "old_string": "x"}]}, "edits[0].new_string"),
    ("multiedit", {"edits": "nope"}, "edits"),
    ("grep", {"pattern": "x", "limit": 501}, "limit"),
    ("glob", {"pattern": "*", "limit": 0}, "limit"),
    ("bash", {"command": "true", "timeout": 601}, "timeout"),
    ("apply_patch", {"patch": "x", "dry_run": "no"}, "dry_run"),
])
def test_wrong_types_name_the_field(ctx: ToolContext, name: str, args: dict[str, Any], field: str) -> None:
    result = call(name, args, ctx)
    assert not result.success and f"'{field}'" in result.output, result.output


def test_descriptions_and_schemas_stay_small() -> None:
    import json

    from codetether.tool.registry import load_tool

    for name in CORE_TOOLS:
        tool = load_tool(name)
        assert tool.name == name
        assert 20 < len(tool.description) < 400, name
        assert len(json.dumps(tool.parameters)) < 1000, name
