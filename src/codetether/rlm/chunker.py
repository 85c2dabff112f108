"""Split a context along its natural seams: symbols for code, time windows for logs, turns, sections."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from codetether.rlm.context import FILE_FOOTER, RlmContext
from codetether.rlm.detect import CONVERSATION_LINE, chars_per_token

MAX_CHUNK_TOKENS = 4_000
FILE_HEADER_RE = re.compile(r"^=== FILE: (.+) ===$")
TIMESTAMP = re.compile(r"^\[?(\d{4}-\d{2}-\d{2}[T ])?(\d{2}:\d{2}):\d{2}")
HEADING = re.compile(r"^#{1,6} \S")
UNDERLINE = re.compile(r"^(=+|-+)\s*$")
# A top-level definition in most languages, for code no tree-sitter grammar is installed for.
DEFINITION = re.compile(r"^(export\s+)?(default\s+)?(pub(\([\w:]+\))?\s+)?(async\s+)?(def|class|fn|func|function|impl|"
                        r"struct|enum|trait|interface|type|module|object|package)\b")
DECORATOR = re.compile(r"^@\w")


@dataclass
class Chunk:
    index: int
    kind: str  # code | logs | conversation | text
    start_line: int  # 1-based, inclusive
    end_line: int
    tokens: int
    label: str = ""

    def text(self, ctx: RlmContext) -> str:
        return "\n".join(ctx.lines[self.start_line - 1:self.end_line])


def chunk_context(ctx: RlmContext, max_tokens: int = MAX_CHUNK_TOKENS) -> list[Chunk]:
    """Chunks covering every line once, each at most max_tokens unless a single line is larger."""
    lines = ctx.lines
    if not lines:
        return []
    finder = {"code": _code_units, "logs": _log_units, "conversation": _turn_units,
              "documents": _section_units}.get(ctx.content_type, _paragraph_units)
    units = finder(lines)
    if not units or units[0][0] != 0:
        units.insert(0, (0, ""))
    per_token = chars_per_token(ctx.text)
    kind = {"code": "code", "logs": "logs", "conversation": "conversation"}.get(ctx.content_type, "text")
    return _pack(lines, units, per_token, max_tokens, kind)


def _pack(lines: list[str], units: list[tuple[int, str]], per_token: float, max_tokens: int,
          kind: str) -> list[Chunk]:
    """Merge neighbouring units while they fit; split a unit that alone is too big."""
    limit = max_tokens * per_token  # in characters
    chunks: list[Chunk] = []
    start, size, labels = None, 0, []
    bounds = [u[0] for u in units] + [len(lines)]
    for (first, label), end in zip(units, bounds[1:], strict=True):
        unit_size = sum(len(line) + 1 for line in lines[first:end])
        if start is not None and size + unit_size > limit:
            chunks.append(_chunk(len(chunks), kind, start, first, size, per_token, labels))
            start, size, labels = None, 0, []
        if unit_size > limit:
            for a, b, piece in _split(lines, first, end, limit):
                chunks.append(_chunk(len(chunks), kind, a, b, piece, per_token, [label]))
            continue
        if start is None:
            start = first
        size += unit_size
        if label:
            labels.append(label)
    if start is not None:
        chunks.append(_chunk(len(chunks), kind, start, len(lines), size, per_token, labels))
    return chunks


def _chunk(index: int, kind: str, first: int, end: int, size: int, per_token: float, labels: list[str]) -> Chunk:
    label = labels[0] if len(labels) == 1 else f"{labels[0]} … {labels[-1]}" if labels else ""
    return Chunk(index, kind, first + 1, end, math.ceil(size / per_token), label[:120])


def _split(lines: list[str], first: int, end: int, limit: float) -> list[tuple[int, int, int]]:
    """Line ranges of at most `limit` chars, cut at a blank line when one is near the end of the piece."""
    pieces, start, size, blank = [], first, 0, None
    for i in range(first, end):
        line_size = len(lines[i]) + 1
        if size + line_size > limit and i > start:
            cut = blank if blank is not None and blank > start + (i - start) // 2 else i
            piece = sum(len(line) + 1 for line in lines[start:cut])
            pieces.append((start, cut, piece))
            start, size, blank = cut, sum(len(line) + 1 for line in lines[cut:i]), None
        size += line_size
        if not lines[i].strip():
            blank = i + 1
    pieces.append((start, end, size))
    return pieces


def _code_units(lines: list[str]) -> list[tuple[int, str]]:
    """One unit per file header and per top-level symbol (tree-sitter where a grammar is installed)."""
    units: list[tuple[int, str]] = []
    files = [(i, m.group(1)) for i, line in enumerate(lines) if line.startswith("=== FILE: ")
             and (m := FILE_HEADER_RE.match(line))]
    if not files:
        return _regex_symbols(lines, 0, len(lines), "")
    for n, (header, path) in enumerate(files):
        end = files[n + 1][0] if n + 1 < len(files) else len(lines)
        body_end = end - 1 if end - 1 > header and lines[end - 1] == FILE_FOOTER else end
        units.append((header, path))
        symbols = _tree_sitter_symbols(path, lines, header + 1, body_end)
        units.extend(symbols if symbols is not None else _regex_symbols(lines, header + 1, body_end, path))
    return units


def _tree_sitter_symbols(path: str, lines: list[str], first: int, end: int) -> list[tuple[int, str]] | None:
    try:
        from codetether.codesearch.chunker import chunk_file, parser_for
    except ImportError:
        return None
    if parser_for(path) is None:
        return None
    source = "\n".join(lines[first:end]).encode("utf-8", "surrogateescape")
    units, covered_to = [], 0
    for c in sorted(chunk_file(path, source), key=lambda c: (c.start, -c.end)):
        if c.start > covered_to and c.kind not in ("lines", "module"):  # top level only: members ride along
            units.append((first + c.start - 1, f"{Path(path).name}: {c.kind} {c.name}".rstrip()))
            covered_to = c.end
    return units


def _regex_symbols(lines: list[str], first: int, end: int, path: str) -> list[tuple[int, str]]:
    units = []
    prefix = f"{Path(path).name}: " if path else ""
    for i in range(first, end):
        line = lines[i]
        if DEFINITION.match(line) or DECORATOR.match(line):
            if i > first and DECORATOR.match(lines[i - 1]):
                continue  # the decorator already opened this definition's unit
            units.append((i, prefix + line.strip()[:80]))
    return units


def _log_units(lines: list[str]) -> list[tuple[int, str]]:
    """A unit per minute of log time; lines without a timestamp (stack traces) stay with their entry."""
    units, current = [], None
    for i, line in enumerate(lines):
        match = TIMESTAMP.match(line)
        if match:
            bucket = (match.group(1) or "") + match.group(2)
            if bucket != current:
                units.append((i, bucket.replace("T", " ")))
                current = bucket
    return units


def _turn_units(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, line.strip()[:40]) for i, line in enumerate(lines) if CONVERSATION_LINE.match(line.strip())]


def _section_units(lines: list[str]) -> list[tuple[int, str]]:
    units = []
    for i, line in enumerate(lines):
        if HEADING.match(line):
            units.append((i, line.strip()))
        elif line.strip() and i + 1 < len(lines) and UNDERLINE.match(lines[i + 1]) and not UNDERLINE.match(line):
            units.append((i, line.strip()))
    return units


def _paragraph_units(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, "") for i in range(1, len(lines)) if lines[i].strip() and not lines[i - 1].strip()]
