"""Gitignore matching and the ignore-aware directory walk shared by list, glob and grep."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from codetether.sandbox import beneath

ALWAYS_SKIP = frozenset({".git"})
_SUBDIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def glob_to_regex(pattern: str, braces: bool = False) -> str:
    """Translate a gitignore-style glob (`*`, `**`, `?`, `[...]`, optional `{a,b}`) to a regex body."""
    out: list[str] = []
    i, n, depth = 0, len(pattern), 0
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and _class_end(pattern, i) > 0:
            end = _class_end(pattern, i)
            body = pattern[i + 1:end]
            negate = body[:1] in ("!", "^")
            body = "".join(ch if ch == "-" else re.escape(ch) for ch in body[negate:])
            out.append("[" + "^" * negate + body + "]")
            i = end + 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif braces and c == "{":
            out.append("(?:")
            depth += 1
            i += 1
        elif braces and depth and c == ",":
            out.append("|")
            i += 1
        elif braces and depth and c == "}":
            out.append(")")
            depth -= 1
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out) + ")" * depth


def _class_end(pattern: str, start: int) -> int:
    j = start + 1
    if pattern[j:j + 1] in ("!", "^"):
        j += 1
    if pattern[j:j + 1] == "]":
        j += 1
    return pattern.find("]", j)


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A path glob matched against a whole relative path; `**` spans directories, braces allowed."""
    return re.compile(glob_to_regex(pattern.strip("/"), braces=True), re.DOTALL)


def compile_name_glob(pattern: str) -> re.Pattern[str]:
    """A filter glob as ripgrep's --glob reads it: without a slash it matches a file name at any depth."""
    body = glob_to_regex(pattern.lstrip("/"), braces=True)
    return re.compile(body if "/" in pattern else "(?:.*/)?" + body, re.DOTALL)


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def parse_gitignore(text: str) -> list[_Rule]:
    rules = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.endswith("\\ "):
            line = line.rstrip()
        negate = line.startswith("!")
        if negate or line.startswith(("\\!", "\\#")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        # A slash anywhere but the end anchors the pattern to the .gitignore's directory.
        anchored = "/" in line
        body = glob_to_regex(line.lstrip("/"))
        regex = re.compile(body if anchored else "(?:.*/)?" + body, re.DOTALL)
        rules.append(_Rule(regex, negate, dir_only))
    return rules


class IgnoreMatcher:
    """Answers whether a path under root is ignored by the .gitignore files from root down to it."""

    def __init__(self, root: Path, use_gitignore: bool = True):
        self.root = root
        self.use_gitignore = use_gitignore
        self._cache: dict[Path, list[_Rule]] = {}

    def _rules(self, directory: Path) -> list[_Rule]:
        if directory not in self._cache:
            try:
                text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._cache[directory] = parse_gitignore(text)
        return self._cache[directory]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        if path.name in ALWAYS_SKIP:
            return True
        if not self.use_gitignore or path == self.root or self.root not in path.parents:
            return False
        parts = path.relative_to(self.root).parts
        verdict = False
        base = self.root
        # Deeper .gitignore files come later so they override shallower ones; within a file the last match wins.
        for depth in range(len(parts)):
            rel = "/".join(parts[depth:])
            for rule in self._rules(base):
                if (is_dir or not rule.dir_only) and rule.regex.fullmatch(rel):
                    verdict = not rule.negate
            base = base / parts[depth]
        return verdict


def matcher_for(root: Path, start: Path) -> IgnoreMatcher:
    """Rules come from the workspace root down when start is inside it, else from start itself."""
    inside = start == root or root in start.parents
    return IgnoreMatcher(root if inside else start)


def walk_files(start: Path, matcher: IgnoreMatcher, include_dirs: bool = False,
               confine: Path | None = None) -> Iterator[Path]:
    """Depth-first, name-sorted walk that prunes ignored entries and never follows symlinks; `start` is opened
    beneath `confine` when given. Nothing when `start` cannot be opened."""
    try:
        fd = beneath.open_dir(confine, start)
    except OSError:
        return
    for path, _ in walk_entries(fd, start, matcher, include_dirs):
        yield path


def walk_entries(fd: int, start: Path, matcher: IgnoreMatcher,
                 include_dirs: bool = False) -> Iterator[tuple[Path, os.DirEntry[str]]]:
    """walk_files from an open directory descriptor of `start` (closed when done), with each entry.

    Every directory is read through a descriptor opened from its parent's without following a link, never by
    its path: a directory swapped for a symlink meanwhile (a background command can do it) lists nothing."""
    prefix = os.path.join(str(start), "")
    try:
        try:
            with os.scandir(fd) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_symlink():
                continue
            path = Path(prefix + entry.name)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if matcher.ignored(path, is_dir):
                continue
            if is_dir:
                if include_dirs:
                    yield path, entry
                try:
                    child = os.open(entry.name, _SUBDIR_FLAGS, dir_fd=fd)
                except OSError:
                    continue  # gone, unreadable, or a symlink by now
                yield from walk_entries(child, path, matcher, include_dirs)
            elif entry.is_file(follow_symlinks=False):
                yield path, entry
    finally:
        os.close(fd)
