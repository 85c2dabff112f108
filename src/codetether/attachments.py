"""File attachments for a prompt: `codetether run -f FILE` and the TUI's `@path` mentions."""

from __future__ import annotations

import re
from pathlib import Path

from codetether.errors import UsageError

MENTION = re.compile(r"(?:^|(?<=\s))@([^\s@]+)")
MENTION_MAX_CHARS = 100_000  # per mentioned file: a stray @big.log must not flood the context window
MENTION_MAX_FILES = 10


PIPED_MAX_CHARS = 200_000  # beyond this a piped log belongs to `codetether rlm --content -`


def piped_stdin() -> bytes | None:
    """What a pipe or redirected file on standard input holds; None when it is a terminal or nothing was given."""
    import os
    import stat
    import sys

    if sys.stdin is None:
        return None
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISREG(mode)):
        return None  # a terminal, /dev/null, a socket: nothing piped
    return sys.stdin.buffer.read()


def piped_text(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    if len(text) > PIPED_MAX_CHARS:
        more = len(text) - PIPED_MAX_CHARS
        text = (f"{text[:PIPED_MAX_CHARS]}\n[... {more} more chars not sent; for all of it use "
                "`codetether rlm \"...\" --content -` ...]")
    return text


def attachments(paths: list[str], base: Path | None = None, max_chars: int | None = None) -> str:
    """The files as `<file path=...>` blocks to append to a message; an unreadable file is a UsageError."""
    blocks = []
    for name in paths:
        path = base / name if base is not None else Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot attach {name}: {getattr(exc, 'strerror', None) or exc}") from None
        if max_chars is not None and len(text) > max_chars:
            text = f"{text[:max_chars]}\n[... {len(text) - max_chars} more chars not attached ...]"
        blocks.append(f"\n\n<file path=\"{name}\">\n{text}\n</file>")
    return "".join(blocks)


def mentioned_files(text: str, root: Path) -> tuple[list[str], list[str]]:
    """The `@path` mentions naming files inside root (relative, deduplicated) and those refused as outside it."""
    root = root.resolve()
    inside: list[str] = []
    refused: list[str] = []
    for match in MENTION.finditer(text):
        for name in dict.fromkeys((match.group(1), match.group(1).rstrip(".,;:!?)'\""))):
            path = (root / name).resolve()
            if not path.is_file():
                continue
            if path != root and root not in path.parents:
                refused.append(name)  # also catches `@../x` and symlinks pointing out of the project
            else:
                rel = path.relative_to(root).as_posix()
                if rel not in inside:
                    inside.append(rel)
            break
    return inside[:MENTION_MAX_FILES], refused


def mention_attachments(text: str, root: Path) -> tuple[str, list[str]]:
    """The blocks for the files `text` mentions, and notes on mentions that were refused or left out."""
    from codetether.images import image_file

    inside, refused = mentioned_files(text, root)
    inside = [name for name in inside if image_file(root / name) is None]  # images go as images, not text
    notes = [f"not attached: {name} is outside the project" for name in refused]
    if len(MENTION.findall(text)) > MENTION_MAX_FILES and len(inside) == MENTION_MAX_FILES:
        notes.append(f"only the first {MENTION_MAX_FILES} mentioned files are attached")
    return attachments(inside, root.resolve(), MENTION_MAX_CHARS), notes
