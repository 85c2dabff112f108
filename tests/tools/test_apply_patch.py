"""apply_patch: create, modify, delete, several hunks and files, and all-or-nothing on mismatch."""

from __future__ import annotations

from pathlib import Path

from codetether.tool.base import ToolContext
from tests.tools.conftest import call

TEN = "".join(f"line {n}\n" for n in range(1, 11))


def test_create_modify_delete_in_one_patch(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "mod.txt").write_text("a\nb\nc\n")
    (tmp_path / "gone.txt").write_text("bye\n")
    patch = """diff --git a/new/file.txt b/new/file.txt
new file mode 100644
--- /dev/null
+++ b/new/file.txt
@@ -0,0 +1,2 @@
+hello
+world
--- a/mod.txt
+++ b/mod.txt
@@ -1,3 +1,3 @@
 a
-b
+B
 c
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
"""
    result = call("apply_patch", {"patch": patch}, ctx)
    assert result.success, result.output
    assert (tmp_path / "new/file.txt").read_text() == "hello\nworld\n"
    assert (tmp_path / "mod.txt").read_text() == "a\nB\nc\n"
    assert not (tmp_path / "gone.txt").exists()
    assert "A new/file.txt" in result.output and "M mod.txt" in result.output and "D gone.txt" in result.output


def test_multiple_hunks_with_shifted_line_numbers(ctx: ToolContext, tmp_path: Path) -> None:
    # Two extra lines at the top: the patch's line numbers are off by two.
    (tmp_path / "f.txt").write_text("extra 1\nextra 2\n" + TEN)
    patch = """--- a/f.txt
+++ b/f.txt
@@ -1,3 +1,3 @@
 line 1
-line 2
+LINE 2
 line 3
@@ -8,3 +8,4 @@
 line 8
 line 9
+line 9.5
 line 10
"""
    result = call("apply_patch", {"patch": patch}, ctx)
    assert result.success, result.output
    text = (tmp_path / "f.txt").read_text()
    assert text == "extra 1\nextra 2\n" + TEN.replace("line 2\n", "LINE 2\n").replace(
        "line 10\n", "line 9.5\nline 10\n")


def test_mismatch_leaves_every_file_unchanged(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("one\ntwo\n")
    (tmp_path / "bad.txt").write_text("alpha\nbeta\n")
    patch = """--- a/ok.txt
+++ b/ok.txt
@@ -1,2 +1,2 @@
 one
-two
+TWO
--- a/bad.txt
+++ b/bad.txt
@@ -1,2 +1,2 @@
 alpha
-gamma
+GAMMA
"""
    result = call("apply_patch", {"patch": patch}, ctx)
    assert not result.success
    assert "bad.txt" in result.output and "hunk #1" in result.output and "gamma" in result.output
    assert (tmp_path / "ok.txt").read_text() == "one\ntwo\n"
    assert (tmp_path / "bad.txt").read_text() == "alpha\nbeta\n"


def test_dry_run_writes_nothing(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x\n")
    patch = "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-x\n+y\n"
    result = call("apply_patch", {"patch": patch, "dry_run": True}, ctx)
    assert result.success and "dry run" in result.output
    assert (tmp_path / "f.txt").read_text() == "x\n"


def test_no_newline_at_end_of_file(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb")
    patch = ("--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
             "\\ No newline at end of file\n")
    assert call("apply_patch", {"patch": patch}, ctx).success
    assert (tmp_path / "f.txt").read_text() == "a\nc"
    add_newline = "--- a/f.txt\n+++ b/f.txt\n@@ -2 +2 @@\n-c\n\\ No newline at end of file\n+c\n"
    assert call("apply_patch", {"patch": add_newline}, ctx).success
    assert (tmp_path / "f.txt").read_text() == "a\nc\n"


def test_create_over_existing_and_garbage_are_refused(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("here\n")
    create = "--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1 @@\n+new\n"
    result = call("apply_patch", {"patch": create}, ctx)
    assert not result.success and "already exists" in result.output
    garbage = call("apply_patch", {"patch": "just some text"}, ctx)
    assert not garbage.success and "---" in garbage.output


def test_crlf_file_is_patched_in_place(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes(b"one\r\ntwo\r\n")
    patch = "--- a/w.txt\n+++ b/w.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n"
    assert call("apply_patch", {"patch": patch}, ctx).success
    assert (tmp_path / "w.txt").read_bytes() == b"one\r\nTWO\r\n"


def test_bare_hunk_header_and_blank_context_without_space(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("a\n\nb\nc\n")
    patch = "--- a/p.txt\n+++ b/p.txt\n@@\n a\n\n-b\n+B\n c\n\n"
    result = call("apply_patch", {"patch": patch}, ctx)
    assert result.success, result.output
    assert (tmp_path / "p.txt").read_text() == "a\n\nB\nc\n"


def test_rename_with_changes(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("a\nb\n")
    patch = "diff --git a/old.txt b/new.txt\n--- a/old.txt\n+++ b/new.txt\n@@ -1,2 +1,2 @@\n-a\n+A\n b\n"
    assert call("apply_patch", {"patch": patch}, ctx).success
    assert not (tmp_path / "old.txt").exists()
    assert (tmp_path / "new.txt").read_text() == "A\nb\n"
