"""read and write as the model sees them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from codetether.tool import read as read_module
from codetether.tool.base import ToolContext
from tests.tools.conftest import call


def test_read_numbers_lines(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\nbeta\ngamma\n")
    result = call("read", {"path": "a.txt"}, ctx)
    assert result.success
    assert result.output == "   1 | alpha\n   2 | beta\n   3 | gamma"
    assert result.metadata["total_lines"] == 3
    assert result.metadata["read_lines"] == 3


def test_read_offset_and_limit(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("".join(f"line {n}\n" for n in range(1, 11)))
    result = call("read", {"path": "a.txt", "offset": 4, "limit": 2}, ctx)
    assert result.output.splitlines()[:2] == ["   4 | line 4", "   5 | line 5"]
    assert "offset=6" in result.output
    assert result.metadata["read_lines"] == 2
    tail = call("read", {"path": "a.txt", "offset": 9}, ctx)
    assert tail.output == "   9 | line 9\n  10 | line 10"


def test_read_offset_past_end_is_an_error(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\n")
    result = call("read", {"path": "a.txt", "offset": 5}, ctx)
    assert not result.success and "offset 5" in result.output and "1 lines" in result.output


def test_read_caps_long_files_and_says_how_to_continue(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("".join(f"{n}\n" for n in range(1, 3001)))
    result = call("read", {"path": "big.txt"}, ctx)
    assert result.metadata["read_lines"] == read_module.MAX_LINES
    assert result.metadata["total_lines"] == 3000
    assert "offset=2001" in result.output
    wide = "x" * 1000
    (tmp_path / "wide.txt").write_text((wide + "\n") * 1000)
    result = call("read", {"path": "wide.txt"}, ctx)
    assert len(result.output) <= read_module.MAX_CHARS + 200
    assert result.metadata["truncated"] and f"offset={result.metadata['read_lines'] + 1}" in result.output


def test_read_refuses_binary_and_directories(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "img.bin").write_bytes(b"\x89PNG\0\0\x01")
    (tmp_path / "sub").mkdir()
    binary = call("read", {"path": "img.bin"}, ctx)
    assert not binary.success and "binary" in binary.output
    folder = call("read", {"path": "sub"}, ctx)
    assert not folder.success and "directory" in folder.output and "list" in folder.output
    missing = call("read", {"path": "nope.txt"}, ctx)
    assert not missing.success and "nope.txt" in missing.output


def test_read_empty_file_and_crlf(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    assert "empty" in call("read", {"path": "empty.txt"}, ctx).output
    (tmp_path / "dos.txt").write_bytes(b"a\r\nb\r\n")
    assert call("read", {"path": "dos.txt"}, ctx).output == "   1 | a\n   2 | b"


def test_write_creates_parent_dirs(ctx: ToolContext, tmp_path: Path) -> None:
    seen: list[Path] = []
    ctx.on_file_change = seen.append
    result = call("write", {"path": "deep/er/new.py", "content": "print(1)\n"}, ctx)
    assert result.success and result.metadata["created"]
    assert (tmp_path / "deep/er/new.py").read_text() == "print(1)\n"
    assert seen == [tmp_path / "deep/er/new.py"]


def test_write_is_atomic_and_keeps_mode(ctx: ToolContext, tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("old\n")
    script.chmod(0o755)
    result = call("write", {"path": "run.sh", "content": "#!/bin/sh\necho new\n"}, ctx)
    assert result.success and not result.metadata["created"]
    assert script.read_text() == "#!/bin/sh\necho new\n"
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.sh"]  # no temp file left behind


def test_atomic_write_leaves_original_when_writing_fails(tmp_path: Path, monkeypatch) -> None:
    from codetether.tool.support import fsutil

    target = tmp_path / "keep.txt"
    target.write_text("original\n")

    def broken_replace(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", broken_replace)
    try:
        fsutil.atomic_write(target, "new content")
    except OSError:
        pass
    assert target.read_text() == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_write_onto_directory_is_refused(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    result = call("write", {"path": "d", "content": "x"}, ctx)
    assert not result.success and "directory" in result.output
