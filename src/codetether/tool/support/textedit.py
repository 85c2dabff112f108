"""String replacement shared by edit and multiedit: exact first, then whitespace-tolerant, plus diffs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from itertools import pairwise
from typing import NamedTuple

from codetether.tool.base import ToolError
from codetether.tool.support.fsutil import display_text

MAX_DIFF_CHARS = 4000


class Replaced(NamedTuple):
    content: str
    count: int
    how: str  # "exact", "whitespace" or "created"


def apply_edit(current: str | None, shown: str, old: str, new: str, replace_all: bool = False) -> Replaced:
    """Replace old with new in current; raises ToolError with a message the model can act on."""
    if old == new:
        raise ToolError("old_string and new_string are identical; there is nothing to change")
    if not old:
        if current:
            raise ToolError(f"old_string is empty but '{shown}' already has content; give the text to "
                            "replace, or use the write tool to replace the whole file")
        return Replaced(new, 1, "created")
    if current is None:
        raise ToolError(f"file '{shown}' does not exist; check the path, or use an empty old_string to create it")
    # Models write \n; a CRLF file should still match and keep its line endings.
    crlf = is_crlf(current) and "\r\n" not in old
    text = current.replace("\r\n", "\n") if crlf else current
    if crlf:
        new = new.replace("\r\n", "\n")
    result = _exact(text, shown, old, new, replace_all) or _tolerant(text, shown, old, new, replace_all)
    if result is None:
        raise ToolError(_not_found(text, shown, old))
    if crlf:
        result = result._replace(content=result.content.replace("\n", "\r\n"))
    return result


def _exact(text: str, shown: str, old: str, new: str, replace_all: bool) -> Replaced | None:
    count = text.count(old)
    if count == 0:
        return None
    if count > 1 and not replace_all:
        raise ToolError(_ambiguous(shown, count))
    return Replaced(text.replace(old, new) if replace_all else text.replace(old, new, 1), count, "exact")


def _ambiguous(shown: str, count: int) -> str:
    return (f"old_string matches {count} places in '{shown}'; add surrounding lines to old_string so it "
            "matches exactly one, or set replace_all=true to change every occurrence")


def _norm(line: str) -> str:
    # Only indentation and trailing blanks are forgiven: spacing inside a line can be meaningful (strings).
    return line.strip()


def _tolerant(text: str, shown: str, old: str, new: str, replace_all: bool) -> Replaced | None:
    """Match old line by line ignoring indentation and spacing, and re-indent new to the found block."""
    want = old.split("\n")
    if want[-1] == "":
        want.pop()
    want_norm = [_norm(w) for w in want]
    if not any(want_norm):
        return None
    lines = text.splitlines(keepends=True)
    norm = [_norm(line) for line in lines]
    starts: list[int] = []
    i = 0
    while i + len(want) <= len(lines):
        if norm[i:i + len(want)] == want_norm:
            starts.append(i)
            i += len(want)
        else:
            i += 1
    if not starts:
        return None
    if len(starts) > 1 and not replace_all:
        raise ToolError(_ambiguous(shown, len(starts)))
    for start in reversed(starts):
        block = lines[start:start + len(want)]
        replacement = _reindent(new, want, block)
        if replacement and block[-1].endswith("\n"):
            replacement += "\n"
        lines[start:start + len(want)] = [replacement]
    return Replaced("".join(lines), len(starts), "whitespace")


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _reindent(new: str, want: list[str], block: list[str]) -> str:
    """Give new the file's indentation: learn old-indent -> file-indent from the matched lines, map the rest."""
    if not new:
        return ""
    known: dict[str, str] = {}
    for w, b in zip(want, block):
        if w.strip():
            known.setdefault(_indent(w), _indent(b.rstrip("\r\n")))
    file_tabs = any("\t" in v for v in known.values())
    old_unit = _step(k for k in known if "\t" not in k)
    file_unit = _step(v for v in known.values() if "\t" not in v)
    old_unit, file_unit = old_unit or file_unit or 4, file_unit or old_unit or 4
    new_lines = new.split("\n")
    if new_lines[-1] == "":
        new_lines.pop()
    out = []
    for line in new_lines:
        ws = _indent(line)
        base = max((k for k in known if ws.startswith(k)), key=len, default=None)
        if not line.strip():
            out.append("")
        elif base is None:
            # Less indented than anything in old_string: outdent from the first line's mapping.
            first_old, first_new = next(iter(known.items()))
            out.append(first_new[:max(0, len(first_new) - (len(first_old) - len(ws)))] + line.lstrip())
        else:
            extra = ws[len(base):]
            tabs = extra.count("\t")
            levels, rem = divmod(len(extra) - tabs, old_unit)
            levels += tabs
            out.append(known[base] + ("\t" * levels if file_tabs else " " * (levels * file_unit)) + " " * rem
                       + line.lstrip())
    return "\n".join(out)


def _step(indents: Iterable[str]) -> int:
    """The indentation unit: the smallest gap between distinct indent widths (0 when unknown)."""
    widths = sorted({len(i) for i in indents})
    gaps = [b - a for a, b in pairwise(widths)]
    return min(gaps) if gaps else 0


def _not_found(text: str, shown: str, old: str) -> str:
    msg = f"old_string was not found in '{shown}' (not even ignoring whitespace)"
    probe = next((line.strip() for line in old.split("\n") if line.strip()), "")
    lines = text.split("\n")
    stripped = [line.strip() for line in lines]
    close = difflib.get_close_matches(probe, stripped, n=1, cutoff=0.6) if probe else []
    if close:
        number = stripped.index(close[0]) + 1
        msg += f"; the closest is line {number}: {display_text(lines[number - 1].strip())[:200]!r}"
    return msg + ". Read the file to copy the exact current text"


def unified_diff(shown: str, before: str, after: str) -> str:
    """A small unified diff for display, cut at MAX_DIFF_CHARS."""
    diff = "".join(difflib.unified_diff(_diff_lines(before), _diff_lines(after),
                                        fromfile=f"a/{shown}", tofile=f"b/{shown}", n=3))
    diff = display_text(diff)
    if len(diff) > MAX_DIFF_CHARS:
        diff = diff[:MAX_DIFF_CHARS] + f"\n… [diff cut, {len(diff)} chars in all]"
    return diff


def _diff_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1] + "\n\\ No newline at end of file\n")
    return lines


def is_crlf(text: str) -> bool:
    """Whether every line break is CRLF; a file that mixes endings is edited as it is, line by line."""
    return "\r\n" in text and text.count("\n") == text.count("\r\n")
