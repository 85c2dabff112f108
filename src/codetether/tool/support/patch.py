"""Unified-diff parsing and in-memory application for the apply_patch tool."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codetether.tool.base import ToolError
from codetether.tool.support.textedit import is_crlf

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    header: str
    old_start: int | None  # None for a bare "@@" header: search the whole file
    old_count: int | None
    ops: list[tuple[str, str]] = field(default_factory=list)  # (" " | "-" | "+", line text)
    old_no_eol: bool = False
    new_no_eol: bool = False

    @property
    def old(self) -> list[str]:
        return [text for kind, text in self.ops if kind != "+"]


@dataclass
class FilePatch:
    old_path: str | None  # None for /dev/null: the file is created
    new_path: str | None  # None for /dev/null: the file is deleted
    hunks: list[Hunk] = field(default_factory=list)


def parse_patch(text: str) -> list[FilePatch]:
    """Parse one or more files' unified diffs (git or plain style)."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    patches: list[FilePatch] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(("Binary files ", "GIT binary patch")):
            raise ToolError("binary patches are not supported; write binary files another way")
        if _is_header(lines, i):
            patch = _paths(_header_path(line[4:]), _header_path(lines[i + 1][4:]))
            i += 2
            while i < len(lines) and lines[i].startswith("@@"):
                hunk, i = _parse_hunk(lines, i)
                patch.hunks.append(hunk)
            patches.append(patch)
        else:
            i += 1
    if not patches:
        raise ToolError("'patch' has no file headers; give a unified diff with '--- a/path' and '+++ b/path' "
                        "lines followed by '@@ -l,n +l,n @@' hunks")
    return patches


def _is_header(lines: list[str], i: int) -> bool:
    return lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")


def _header_path(raw: str) -> str | None:
    name = raw.split("\t")[0].strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1]
    return None if name == "/dev/null" else name


def _paths(old: str | None, new: str | None) -> FilePatch:
    # Strip git's a/ b/ prefixes only when the pair looks like git's, so a real directory "a" survives.
    old_git = old is None or old.startswith("a/")
    new_git = new is None or new.startswith("b/")
    if old_git and new_git:
        old = old[2:] if old else None
        new = new[2:] if new else None
    return FilePatch(old, new)


def _parse_hunk(lines: list[str], i: int) -> tuple[Hunk, int]:
    header = lines[i]
    m = _HUNK.match(header)
    if m:
        hunk = Hunk(header, int(m.group(1)), int(m.group(2)) if m.group(2) is not None else 1)
    else:
        hunk = Hunk(header, None, None)
    i += 1
    bare = 0  # trailing empty lines, which may be context whose leading space was lost, or just spacing
    last = ""
    while i < len(lines):
        line = lines[i]
        if line.startswith(("@@", "diff ")) or _is_header(lines, i):
            break
        kind = line[:1]
        if kind in (" ", "-", "+"):
            hunk.ops.append((kind, line[1:]))
            bare, last = 0, kind
        elif line == "":
            hunk.ops.append((" ", ""))
            bare, last = bare + 1, " "
        elif kind == "\\":
            hunk.old_no_eol |= last in (" ", "-")
            hunk.new_no_eol |= last in (" ", "+")
        else:
            break
        i += 1
    while bare and (hunk.old_count is None or len(hunk.old) > hunk.old_count):
        hunk.ops.pop()
        bare -= 1
    return hunk, i


@dataclass
class Text:
    """A file as lines plus the two facts needed to write it back unchanged: line ending and final newline."""

    lines: list[str]
    eol: str = "\n"
    final_newline: bool = True

    @classmethod
    def parse(cls, text: str) -> Text:
        eol = "\r\n" if is_crlf(text) else "\n"
        if not text:
            return cls([], eol)
        parts = text.split(eol)
        final = parts[-1] == ""
        if final:
            parts.pop()
        return cls(parts, eol, final)

    def render(self) -> str:
        if not self.lines:
            return ""
        return self.eol.join(self.lines) + (self.eol if self.final_newline else "")


def apply_hunks(text: Text, hunks: list[Hunk], shown: str) -> Text:
    """Apply hunks in order, each found nearest its stated line; raise ToolError naming the failing hunk."""
    lines = list(text.lines)
    final = text.final_newline
    shift = 0  # where the file really is relative to the patch's line numbers, after earlier hunks
    floor = 0  # hunks apply in order and must not overlap
    for number, hunk in enumerate(hunks, 1):
        old = hunk.old
        if hunk.old_start is None:
            expected = floor
        else:
            expected = hunk.old_start - (1 if old else 0) + shift
        pos, block = _find(lines, old, expected, floor)
        if pos is None:
            raise ToolError(_mismatch(shown, number, hunk, old))
        new: list[str] = []
        j = 0
        for kind, line in hunk.ops:
            if kind == " ":
                new.append(block[j])  # keep the file's own context line, trailing spaces and all
                j += 1
            elif kind == "-":
                j += 1
            else:
                new.append(line)
        at_end = pos + len(old) == len(lines)
        lines[pos:pos + len(old)] = new
        if at_end and (hunk.old_no_eol or hunk.new_no_eol):
            final = not hunk.new_no_eol
        if hunk.old_start is not None:
            shift = pos - (hunk.old_start - (1 if old else 0)) + len(new) - len(old)
        floor = pos + len(new)
    return Text(lines, text.eol, final)


def _find(lines: list[str], old: list[str], expected: int, floor: int) -> tuple[int | None, list[str]]:
    if not old:
        return min(max(expected, floor), len(lines)), []
    last = len(lines) - len(old)
    for same in (lambda a, b: a == b, lambda a, b: a.rstrip() == b.rstrip()):
        for distance in range(max(last + 1, 1) + abs(expected)):
            for pos in (expected - distance, expected + distance) if distance else (expected,):
                if floor <= pos <= last and all(same(lines[pos + k], old[k]) for k in range(len(old))):
                    return pos, lines[pos:pos + len(old)]
    return None, []


def _mismatch(shown: str, number: int, hunk: Hunk, old: list[str]) -> str:
    where = f" near line {hunk.old_start}" if hunk.old_start else ""
    preview = "\n".join(f"  {line}" for line in old[:6]) + ("\n  …" if len(old) > 6 else "")
    return (f"hunk #{number} ({hunk.header.strip()}) for '{shown}' does not match the file: these lines were "
            f"not found{where}:\n{preview}\nRead the file and rebuild the hunk from its current text. "
            "No files were changed")
