"""File helpers shared by the tools: atomic writes, text reads that refuse binary, all-or-nothing commits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from codetether.tool.base import ToolContext, ToolError

BINARY_SNIFF_BYTES = 8192
# surrogateescape lets a file with stray non-UTF-8 bytes round-trip through an edit unchanged.
_ERRORS = "surrogateescape"


def atomic_write(path: Path, data: str | bytes, root: Path | None = None) -> None:
    """Replace path's content via a temp file in the same directory, so readers never see half a file; with a
    `root`, every step stays beneath it whatever symlinks appear meanwhile."""
    from codetether.sandbox import beneath

    raw = encode_text(data) if isinstance(data, str) else data
    # Without a root, the file's own directory is the confinement: the path the user approved, as it is now.
    beneath.write_atomic(root or path.parent, path, raw)


def encode_text(text: str) -> bytes:
    try:
        return text.encode("utf-8", _ERRORS)
    except UnicodeEncodeError:  # a lone surrogate that did not come from our own decoding
        return text.encode("utf-8", "replace")


def is_binary(data: bytes) -> bool:
    """A NUL byte near the start is the same heuristic git and ripgrep use."""
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def file_is_binary(path: Path) -> bool:
    with open(path, "rb") as handle:
        return is_binary(handle.read(BINARY_SNIFF_BYTES))


def decode(data: bytes) -> str:
    return data.decode("utf-8", _ERRORS)


def read_text(path: Path, shown: str | None = None, root: Path | None = None) -> str:
    """Read a text file (beneath `root` when given); a directory, a missing file or binary content raises
    ToolError."""
    shown = shown or str(path)
    if path.is_dir():
        raise ToolError(f"'{shown}' is a directory, not a file; use the list tool to see its entries")
    if not path.exists():
        raise missing_file(shown)
    data = read_bytes(path, root)
    if is_binary(data):
        raise ToolError(f"'{shown}' is a binary file ({len(data)} bytes); only text files can be read or edited")
    return decode(data)


def missing_file(shown: str) -> ToolError:
    return ToolError(f"file '{shown}' does not exist; check the path (the glob tool can find files)")


def read_bytes(path: Path, root: Path | None = None) -> bytes:
    """The file's bytes; with a `root`, opened so the resolution never leaves it (else an Escape error)."""
    if root is None:
        return path.read_bytes()
    from codetether.sandbox import beneath

    return beneath.read_bytes(root, path)


def display_text(text: str) -> str:
    """Text safe to show the model: undecodable bytes become U+FFFD instead of lone surrogates."""
    return text.encode("utf-8", _ERRORS).decode("utf-8", "replace")


def commit_files(ctx: ToolContext, changes: Mapping[Path, str | None]) -> None:
    """Write (or delete, for None) every file, restoring the originals if any step fails midway."""
    originals: dict[Path, bytes | None] = {}
    for path in changes:
        originals[path] = read_bytes(path, ctx.confinement(path)) if path.is_file() else None
    done: list[Path] = []
    try:
        for path, content in changes.items():
            ctx.before_write(path)
            if content is None:
                if originals[path] is not None:
                    remove(path, ctx.confinement(path))
            else:
                write_file(path, content, ctx.confinement(path))
            done.append(path)
    except BaseException:
        for path in done:
            old = originals[path]
            try:
                if old is None:
                    remove(path, ctx.confinement(path))
                else:
                    atomic_write(path, old, ctx.confinement(path))
            except OSError:
                pass  # best effort: the original error is the one worth reporting
        raise


def write_file(path: Path, data: str | bytes, root: Path | None) -> None:
    """Create the parent directories and write atomically, beneath `root` when given."""
    if root is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, root)  # beneath a root, write_atomic creates the parents itself


def remove(path: Path, root: Path | None) -> None:
    if root is None:
        path.unlink(missing_ok=True)
        return
    from codetether.sandbox import beneath

    try:
        beneath.unlink(root, path)
    except FileNotFoundError:
        pass
