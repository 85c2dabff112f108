"""Every file-changing tool calls ToolContext.before_write for each file, before touching it (undo relies on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codetether.tool.base import ToolContext
from tests.tools.conftest import call


@pytest.fixture
def seen() -> dict[str, bytes | None]:
    return {}


@pytest.fixture
def hooked(tmp_path: Path, seen: dict[str, bytes | None]) -> ToolContext:
    def record(path: Path) -> None:
        seen[path.name] = path.read_bytes() if path.exists() else None  # the state just before the change

    (tmp_path / "a.txt").write_text("one\ntwo\n")
    (tmp_path / "b.txt").write_text("bee\n")
    return ToolContext(root=tmp_path, on_file_change=record)


@pytest.mark.parametrize("name, args, expected", [
    ("write", {"path": "a.txt", "content": "new"}, {"a.txt": b"one\ntwo\n"}),
    ("write", {"path": "d/new.txt", "content": "new"}, {"new.txt": None}),
    ("edit", {"path": "a.txt", "old_string": "one", "new_string": "uno"}, {"a.txt": b"one\ntwo\n"}),
    ("edit", {"path": "c.txt", "old_string": "", "new_string": "made"}, {"c.txt": None}),
    ("multiedit", {"edits": [{"path": "a.txt", "old_string": "one", "new_string": "1"},
                             {"path": "b.txt", "old_string": "bee", "new_string": "b"}]},
     {"a.txt": b"one\ntwo\n", "b.txt": b"bee\n"}),
    ("apply_patch", {"patch": "--- a/a.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-one\n-two\n"}, {"a.txt": b"one\ntwo\n"}),
    ("apply_patch", {"patch": "--- a/b.txt\n+++ b/moved.txt\n@@ -1 +1 @@\n-bee\n+wasp\n"},
     {"b.txt": b"bee\n", "moved.txt": None}),
    ("apply_patch", {"patch": "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+hi\n"}, {"n.txt": None}),
])
def test_tool_reports_every_file_before_changing_it(hooked, seen, name, args, expected):
    result = call(name, args, hooked)
    assert result.success, result.output
    assert seen == expected


def test_dry_run_and_failed_edit_report_nothing(hooked, seen):
    call("apply_patch", {"patch": "--- a/a.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-one\n-two\n", "dry_run": True}, hooked)
    call("edit", {"path": "a.txt", "old_string": "absent", "new_string": "x"}, hooked)
    assert seen == {}
