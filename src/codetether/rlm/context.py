"""The loaded context: its text, where it came from, its size, type and a short preview."""

from __future__ import annotations

import glob
import os
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from codetether.errors import UsageError
from codetether.rlm.detect import CONTENT_TYPES, chars_per_token, detect_content_type

FILE_HEADER = "=== FILE: {path} ==="
FILE_FOOTER = "=== END FILE ==="
PREVIEW_LINES = 25
PREVIEW_LINE_CHARS = 200


@dataclass
class RlmContext:
    text: str
    content_type: str = "mixed"
    sources: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, text: str, content_type: str = "auto", sources: list[str] | None = None) -> RlmContext:
        if content_type not in (*CONTENT_TYPES, "auto"):
            raise UsageError(f"unknown content type '{content_type}'",
                             f"Use one of: auto, {', '.join(CONTENT_TYPES)}.")
        kind = detect_content_type(text) if content_type == "auto" else content_type
        return cls(text, kind, list(sources or []))

    @cached_property
    def lines(self) -> list[str]:
        lines = self.text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return lines

    @cached_property
    def line_starts(self) -> list[int]:
        """Character offset of each line's start, to map a character position to its line number."""
        starts, pos = [], 0
        for line in self.lines:
            starts.append(pos)
            pos += len(line) + 1
        return starts

    def line_of(self, offset: int) -> int:
        return max(1, bisect_right(self.line_starts, offset))

    @property
    def size(self) -> int:
        return len(self.text)

    @cached_property
    def tokens(self) -> int:
        return int(len(self.text) / chars_per_token(self.text)) + 1

    def preview(self, max_chars: int = 2_000, n_lines: int = PREVIEW_LINES) -> str:
        """The first lines, each cut short, never more than max_chars: the only raw text the root model sees."""
        out, used = [], 0
        for line in self.text[:n_lines * (PREVIEW_LINE_CHARS + 1) * 4].split("\n")[:n_lines]:
            if len(line) > PREVIEW_LINE_CHARS:
                line = line[:PREVIEW_LINE_CHARS] + " …"
            if used + len(line) + 1 > max_chars:
                break
            out.append(line)
            used += len(line) + 1
        return "\n".join(out)

    def describe(self) -> str:
        where = f"; sources: {', '.join(self.sources[:10])}" + (" …" if len(self.sources) > 10 else "") \
            if self.sources else ""
        return (f"{self.size:,} chars, {len(self.lines):,} lines, ~{self.tokens:,} tokens, "
                f"content type {self.content_type}{where}")


def wrap_file(path: str, text: str) -> str:
    return f"{FILE_HEADER.format(path=path)}\n{text}{'' if text.endswith(chr(10)) or not text else chr(10)}" \
           f"{FILE_FOOTER}\n"


def expand_paths(patterns: list[str], cwd: Path) -> list[Path]:
    """Each -f argument as a path or a glob (`**` included); one that matches nothing is a usage error."""
    found: list[Path] = []
    for pattern in patterns:
        full = os.path.join(cwd, os.path.expanduser(pattern))
        if glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(full, recursive=True) if os.path.isfile(p))
            if not matches:
                raise UsageError(f"--file pattern '{pattern}' matches no files", "Check the pattern and the directory.")
            found.extend(matches)
        elif os.path.isdir(full):
            raise UsageError(f"--file '{pattern}' is a directory", f"Use a glob such as '{pattern.rstrip('/')}/**/*'.")
        elif not os.path.isfile(full):
            raise UsageError(f"--file '{pattern}' does not exist", "Check the path.")
        else:
            found.append(Path(full))
    return list(dict.fromkeys(found))


def read_files(paths: list[Path], cwd: Path, max_bytes: int | None = None) -> tuple[str, list[str]]:
    """Concatenate text files under headers; binary files are skipped, and a size cap (if any) is enforced."""
    blocks, shown, total = [], [], 0
    for path in paths:
        name = os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary: nothing a language model can read
        total += len(data)
        if max_bytes is not None and total > max_bytes:
            raise UsageError(f"the files add up to more than {max_bytes // (1024 * 1024)} MiB",
                             "Pass fewer or smaller paths.")
        blocks.append(wrap_file(name, data.decode("utf-8", "replace")))
        shown.append(name)
    if not blocks:
        raise UsageError("no readable text in the given files", "Pass text files (binary files are skipped).")
    return "".join(blocks), shown
