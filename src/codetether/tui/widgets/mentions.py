"""`@path` completion: project files (gitignore respected) offered in a small list under the prompt."""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path

from textual.widgets import OptionList

from codetether.tool.support.ignore import IgnoreMatcher, walk_files

MAX_FILES = 5_000  # files scanned per completion; a huge tree must not stall typing
MAX_SHOWN = 8
TYPED = re.compile(r"(?:^|(?<=\s))@([^\s@]*)$")  # an `@word` that ends at the cursor


def project_files(root: Path, limit: int = MAX_FILES) -> list[str]:
    """Paths relative to root, skipping what .gitignore (and the usual junk dirs) exclude."""
    return [p.relative_to(root).as_posix() for p in islice(walk_files(root, IgnoreMatcher(root)), limit)]


def rank(files: list[str], query: str, limit: int = MAX_SHOWN) -> list[str]:
    """Basename prefix matches first, then path prefix, then anywhere in the path; case-insensitive."""
    q = query.lower()
    scored = []
    for path in files:
        low = path.lower()
        if q not in low:
            continue
        base = low.rsplit("/", 1)[-1]
        scored.append((0 if base.startswith(q) else 1 if low.startswith(q) else 2, len(path), path))
    return [path for *_, path in sorted(scored)[:limit]]


class MentionPopup(OptionList):
    """The candidates for the `@word` being typed; the prompt drives it, so it never takes focus."""

    can_focus = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.files: list[str] | None = None  # scanned once per mention, when the `@` is typed

    @property
    def open(self) -> bool:
        return self.display and self.option_count > 0

    def offer(self, root: Path, query: str) -> None:
        if self.files is None:
            self.files = project_files(root)
        self.clear_options()
        matches = rank(self.files, query)
        self.add_options(matches)
        self.display = bool(matches)
        if matches:
            self.highlighted = 0

    def close(self) -> None:
        self.display = False
        self.files = None

    def move(self, step: int) -> None:
        if self.option_count:
            self.highlighted = ((self.highlighted or 0) + step) % self.option_count

    def chosen(self) -> str | None:
        if not self.open or self.highlighted is None:
            return None
        return str(self.get_option_at_index(self.highlighted).prompt)
