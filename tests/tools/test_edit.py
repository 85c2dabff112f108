"""edit and multiedit: exact, whitespace-tolerant, ambiguous and failing edits."""

from __future__ import annotations

from pathlib import Path

from codetether.tool.base import ToolContext
from tests.tools.conftest import call

SOURCE = """def greet(name):
    if name:
        print("hello", name)
    return name
"""


def test_exact_edit_with_diff(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "g.py").write_text(SOURCE)
    seen: list[Path] = []
    ctx.on_file_change = seen.append
    result = call("edit", {"path": "g.py", "old_string": '"hello"', "new_string": '"hi"'}, ctx)
    assert result.success, result.output
    assert "replaced 1 occurrence" in result.output
    assert '"hi", name' in (tmp_path / "g.py").read_text()
    assert '-        print("hello", name)' in result.metadata["diff"]
    assert '+        print("hi", name)' in result.metadata["diff"]
    assert seen == [tmp_path / "g.py"]


def test_whitespace_tolerant_edit_reindents(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "g.py").write_text(SOURCE)
    old = 'if name:\n    print("hello", name)\n'
    new = 'if name:\n    print("hello", name)\n    print("bye")\n'
    result = call("edit", {"path": "g.py", "old_string": old, "new_string": new}, ctx)
    assert result.success, result.output
    assert result.metadata["match"] == "whitespace"
    assert (tmp_path / "g.py").read_text() == (
        'def greet(name):\n    if name:\n        print("hello", name)\n        print("bye")\n    return name\n')


def test_ambiguous_edit_is_refused_unless_replace_all(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("a = 1\nb = 1\nc = 1\n")
    result = call("edit", {"path": "x.txt", "old_string": "= 1", "new_string": "= 2"}, ctx)
    assert not result.success
    assert "3 places" in result.output and "replace_all" in result.output
    assert (tmp_path / "x.txt").read_text() == "a = 1\nb = 1\nc = 1\n"
    result = call("edit", {"path": "x.txt", "old_string": "= 1", "new_string": "= 2", "replace_all": True}, ctx)
    assert result.success and result.metadata["replacements"] == 3
    assert (tmp_path / "x.txt").read_text() == "a = 2\nb = 2\nc = 2\n"


def test_no_match_names_the_closest_line(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "g.py").write_text(SOURCE)
    result = call("edit", {"path": "g.py", "old_string": 'print("helo", nam)', "new_string": "x"}, ctx)
    assert not result.success
    assert "not found" in result.output and "line 3" in result.output
    assert (tmp_path / "g.py").read_text() == SOURCE


def test_identical_strings_and_missing_file(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "g.py").write_text(SOURCE)
    same = call("edit", {"path": "g.py", "old_string": "name", "new_string": "name"}, ctx)
    assert not same.success and "identical" in same.output
    missing = call("edit", {"path": "nope.py", "old_string": "a", "new_string": "b"}, ctx)
    assert not missing.success and "does not exist" in missing.output


def test_empty_old_string_creates_a_file(ctx: ToolContext, tmp_path: Path) -> None:
    result = call("edit", {"path": "new/mod.py", "old_string": "", "new_string": "x = 1\n"}, ctx)
    assert result.success and "Created" in result.output
    assert (tmp_path / "new/mod.py").read_text() == "x = 1\n"
    again = call("edit", {"path": "new/mod.py", "old_string": "", "new_string": "y = 2\n"}, ctx)
    assert not again.success and "already has content" in again.output


def test_crlf_file_keeps_its_line_endings(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    result = call("edit", {"path": "w.txt", "old_string": "one\ntwo\n", "new_string": "uno\ndos\n"}, ctx)
    assert result.success, result.output
    assert (tmp_path / "w.txt").read_bytes() == b"uno\r\ndos\r\nthree\r\n"


def test_multiedit_applies_in_order_across_files(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b.txt").write_text("beta\n")
    edits = [
        {"path": "a.txt", "old_string": "alpha", "new_string": "ALPHA"},
        {"path": "a.txt", "old_string": "ALPHA", "new_string": "ALPHA!"},
        {"path": "b.txt", "old_string": "beta", "new_string": "BETA"},
    ]
    result = call("multiedit", {"edits": edits}, ctx)
    assert result.success, result.output
    assert (tmp_path / "a.txt").read_text() == "ALPHA!\n"
    assert (tmp_path / "b.txt").read_text() == "BETA\n"


def test_multiedit_is_all_or_nothing(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b.txt").write_text("beta\n")
    edits = [
        {"path": "a.txt", "old_string": "alpha", "new_string": "ALPHA"},
        {"path": "b.txt", "old_string": "gamma", "new_string": "GAMMA"},
    ]
    result = call("multiedit", {"edits": edits}, ctx)
    assert not result.success
    assert "edits[1]" in result.output and "b.txt" in result.output and "No files were changed" in result.output
    assert (tmp_path / "a.txt").read_text() == "alpha\n"
    assert (tmp_path / "b.txt").read_text() == "beta\n"


def test_multiedit_rolls_back_when_a_write_fails(ctx: ToolContext, tmp_path: Path, monkeypatch) -> None:
    from codetether.tool.support import fsutil

    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b.txt").write_text("beta\n")
    real = fsutil.atomic_write
    calls: list[Path] = []

    def flaky(path: Path, data: str | bytes, root: Path | None = None) -> None:
        calls.append(path)
        if path.name == "b.txt" and len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(path, data, root)

    monkeypatch.setattr(fsutil, "atomic_write", flaky)
    edits = [{"path": "a.txt", "old_string": "alpha", "new_string": "A"},
             {"path": "b.txt", "old_string": "beta", "new_string": "B"}]
    result = call("multiedit", {"edits": edits}, ctx)
    assert not result.success and "No space" in result.output
    assert (tmp_path / "a.txt").read_text() == "alpha\n"
    assert (tmp_path / "b.txt").read_text() == "beta\n"


def test_tolerant_edit_converts_spaces_to_the_files_tabs(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("class A:\n\tdef f(self):\n\t\treturn 1\n")
    old = "def f(self):\n    return 1"
    new = "def f(self):\n    x = 1\n    return x"
    result = call("edit", {"path": "t.py", "old_string": old, "new_string": new}, ctx)
    assert result.success, result.output
    assert (tmp_path / "t.py").read_text() == "class A:\n\tdef f(self):\n\t\tx = 1\n\t\treturn x\n"
