"""The grep tool: search file contents with ripgrep when present, else an equivalent pure-Python scan."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from codetether.sandbox import beneath
from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for, sandboxed
from codetether.tool.support.fsutil import BINARY_SNIFF_BYTES, file_is_binary, is_binary
from codetether.tool.support.ignore import IgnoreMatcher, compile_name_glob, matcher_for, walk_files

MAX_FILES = 10_000
MAX_FILE_BYTES = 1024 * 1024
MAX_LINE_CHARS = 500
MAX_COLUMNS = 4096  # ripgrep prints a preview of longer lines

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pattern": {"type": "string", "description": "Text to find (a regex only if is_regex)"},
        "path": {"type": "string", "description": "File or directory (default: current directory)"},
        "is_regex": {"type": "boolean", "description": "Treat pattern as a regex (default false)"},
        "include": {"type": "string", "description": "Only files matching this glob, e.g. *.py"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 500, "description": "Max matches (default 50)"},
        "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 120, "description": "Default 15"},
    },
    "required": ["pattern"],
}


class Match(NamedTuple):
    path: Path
    line: int
    text: str


class Search(NamedTuple):
    matches: list[Match]
    timed_out: bool = False
    capped: bool = False  # stopped at MAX_FILES


def _line_text(raw: bytes) -> str:
    return raw.rstrip(b"\n").rstrip(b"\r").decode("utf-8", "replace")


def search_python(base: Path, matcher: IgnoreMatcher, matches: Callable[[str], bool],
                  include: re.Pattern[str] | None, want: int, deadline: float, root: Path | None = None) -> Search:
    """Scan files in path order, the same order `rg --sort path` reports them; each file is opened beneath
    `root` when given, so a directory swapped for a symlink meanwhile leads nowhere outside it."""
    found: list[Match] = []
    files = [base] if base.is_file() else walk_files(base, matcher, confine=root)
    for count, file in enumerate(files):
        if count >= MAX_FILES:
            return Search(found, capped=True)
        if time.monotonic() > deadline:
            return Search(found, timed_out=True)
        if file is not base:
            if include and not include.fullmatch(file.relative_to(base).as_posix()):
                continue
            try:
                if file.stat().st_size > MAX_FILE_BYTES:
                    continue
            except OSError:
                continue
        try:
            fd = (beneath.open_beneath(root, file, os.O_RDONLY | os.O_NOFOLLOW) if root is not None
                  else os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC))
            with os.fdopen(fd, "rb") as handle:
                if is_binary(handle.read(BINARY_SNIFF_BYTES)):
                    continue
                handle.seek(0)
                for number, raw in enumerate(handle, 1):
                    # Match before dropping \r, as ripgrep does, so `x$` behaves the same on CRLF files.
                    if matches(raw.rstrip(b"\n").decode("utf-8", "replace")):
                        found.append(Match(file, number, _line_text(raw)))
                        if len(found) >= want:
                            return Search(found)
        except OSError:
            continue
    return Search(found)


async def search_rg(ctx: ToolContext, rg: str, base: Path, pattern: str, is_regex: bool, include: str | None,
                    include_re: re.Pattern[str] | None, want: int, deadline: float) -> Search | None:
    """Run ripgrep with ignore settings matching the Python scan; None when it could not run the search.

    ripgrep runs in the agent's sandbox: it opens paths by name, so a directory swapped for a symlink after the
    path was checked (a background command can do it) would lead it anywhere, codetether's secrets included."""
    # No --sort: it makes ripgrep single-threaded. Matches are sorted here instead, which gives the same
    # result as the path-ordered Python scan whenever all matches fit in `want`.
    # Plain `path NUL line:text` output: cheaper for ripgrep to print than --json, and NUL-safe for any path.
    # Files over MAX_FILE_BYTES are dropped here, not with --max-filesize: that flag stats every file (about
    # a seventh of ripgrep's time on a large tree), while only files that match need a stat. --max-columns keeps
    # a matching line of a minified bundle from streaming megabytes (only MAX_LINE_CHARS are shown anyway).
    cmd = [rg, "--null", "--line-number", "--no-heading", "--with-filename", "--color", "never", "--no-config",
           "--hidden", "--no-require-git", "--no-ignore-global", "--no-ignore-exclude", "--no-ignore-dot",
           "--glob", "!.git", "--max-columns", str(MAX_COLUMNS), "--max-columns-preview",
           "--max-count", str(want)]  # no file can add more than `want` lines: a huge matching log stops early
    if not is_regex:
        cmd.append("--fixed-strings")
    if include and "/" not in include:
        # A file type filters after .gitignore; --glob would override it and search ignored files.
        cmd += ["--type-add", f"ctinclude:{include}", "--type", "ctinclude"]
    cmd += ["--regexp", pattern, "--", str(base)]
    try:
        wrapped = await sandboxed(ctx, cmd, base)
    except ToolError:
        return None  # nothing may run here: the Python scan, confined to the workspace, searches instead
    proc = await asyncio.create_subprocess_exec(
        *wrapped.argv, cwd=base, env=wrapped.env, pass_fds=wrapped.pass_fds, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, limit=32 * 1024 * 1024)
    assert proc.stdout is not None
    found: list[Match] = []
    too_big: dict[bytes, bool] = {}
    timed_out = eof = False
    pending = bytearray()
    try:
        # Read in large chunks, not line by line: one wait per chunk keeps the overhead off small searches.
        while len(found) < want:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            try:
                chunk = await asyncio.wait_for(proc.stdout.read(1 << 16), remaining)
            except TimeoutError:
                timed_out = True
                break
            if not chunk:
                eof = True
                break
            pending += chunk
            records, used = _records(pending)
            del pending[:used]
            for name, number, text in records:
                if name not in too_big:
                    too_big[name] = _larger_than_cap(name)
                if too_big[name]:
                    continue
                path = Path(os.fsdecode(name))
                if include_re and not include_re.fullmatch(path.relative_to(base).as_posix()):
                    continue
                found.append(Match(path, number, _line_text(text)))
                if len(found) >= want:
                    break
    finally:
        if not eof and proc.returncode is None:
            # Stopped early (limit, timeout, cancel): rg would block on a full pipe. os.kill, not proc.kill:
            # Popen.send_signal polls first and would reap the exit status asyncio is waiting for.
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        code = await proc.wait()
    if code == 2 and not found and not timed_out:
        return None  # e.g. a regex ripgrep's engine rejects but Python's accepts
    return Search(sorted(found, key=lambda m: (m.path.as_posix(), m.line)), timed_out=timed_out)


def _records(buffer: bytearray) -> tuple[list[tuple[bytes, int, bytes]], int]:
    """Complete `path NUL line:text LF` records at the start of buffer, and how many bytes they took.

    A path may itself hold a newline, so a record ends at the first LF after its NUL, not at the first LF."""
    records, start = [], 0
    while (nul := buffer.find(b"\0", start)) != -1 and (end := buffer.find(b"\n", nul)) != -1:
        number, colon, text = bytes(buffer[nul + 1:end]).partition(b":")
        if colon and number.isdigit():
            records.append((bytes(buffer[start:nul]), int(number), text))
        start = end + 1
    return records, start


def _larger_than_cap(name: bytes) -> bool:
    try:
        return os.stat(name).st_size > MAX_FILE_BYTES
    except OSError:
        return True  # gone since ripgrep read it


def _matcher(pattern: str, is_regex: bool) -> Callable[[str], bool]:
    if not is_regex:
        return lambda line: pattern in line
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ToolError(f"'pattern' is not a valid regex ({exc}); fix it or set is_regex=false "
                        "to search for the literal text") from None
    return lambda line: regex.search(line) is not None


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    pattern: str = args["pattern"]
    if not pattern:
        raise ToolError("'pattern' is empty; give the text to search for")
    is_regex = bool(args.get("is_regex", False))
    base = ctx.resolve(args.get("path") or ".")
    if not base.exists():
        raise ToolError(f"'path' {ctx.display(base)!r} does not exist")
    include: str | None = args.get("include") or None
    if base.is_file():
        include = None  # an explicitly named file is always searched
        if file_is_binary(base):
            raise ToolError(f"'{ctx.display(base)}' is a binary file; grep searches text files only")
    include_re = compile_name_glob(include) if include else None
    limit = int(args.get("limit") or 50)
    deadline = time.monotonic() + float(args.get("timeout_secs") or 15)
    matches = _matcher(pattern, is_regex)
    matcher = matcher_for(ctx.root, base)
    rg = shutil.which("rg")
    result: Search | None = None
    if rg and base.is_dir():
        # Read well past the limit so the sorted first `limit` are the true first ones in most searches.
        result = await search_rg(ctx, rg, base, pattern, is_regex, include,
                                 include_re if include and "/" in include else None, max(limit * 4, 200), deadline)
    engine = "rg" if result is not None else "python"
    if result is None:
        result = await asyncio.to_thread(search_python, base, matcher, matches, include_re, limit + 1, deadline,
                                         ctx.confinement(base))
    return _report(ctx, result, limit, pattern, engine)


def _report(ctx: ToolContext, result: Search, limit: int, pattern: str, engine: str) -> ToolResult:
    shown = result.matches[:limit]
    lines = []
    for m in shown:
        text = m.text if len(m.text) <= MAX_LINE_CHARS else m.text[:MAX_LINE_CHARS] + "…"
        lines.append(f"{ctx.display(m.path)}:{m.line}: {text}")
    out = "\n".join(lines) if lines else f"no matches for {pattern!r}"
    more = len(result.matches) > limit
    if more:
        out += f"\n[limit of {limit} matches reached; narrow the pattern, path or include, or raise 'limit']"
    if result.timed_out:
        out += "\n[search timed out; results are partial. Narrow 'path' or 'include', or raise 'timeout_secs']"
    if result.capped:
        out += f"\n[stopped after {MAX_FILES} files; results are partial. Search a smaller 'path']"
    return ToolResult(out, metadata={"matches": len(shown), "truncated": more or result.timed_out or result.capped,
                                     "timed_out": result.timed_out, "engine": engine})


TOOL = Tool(name="grep", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
