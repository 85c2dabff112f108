"""Which files a project's code index reads: code and text by suffix, not lock files, nothing too big, nothing in
dependencies or virtualenvs, and nothing .gitignore leaves out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from codetether.tool.support.ignore import IgnoreMatcher, walk_files

MAX_FILE_BYTES = 512 * 1024
CODE_SUFFIXES = frozenset("""
.py .pyi .js .jsx .mjs .cjs .ts .tsx .mts .go .rs .java .kt .kts .scala .rb .php .c .h .cc .cpp .cxx .hpp .cs
.swift .m .sh .bash .zsh .lua .pl .r .jl .ex .exs .erl .hs .ml .clj .dart .sql .proto .graphql .vue .svelte
.html .css .scss .md .rst .txt .toml .yaml .yml .ini .cfg .json .tf .nix .zig
""".split())
SKIP_NAMES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "poetry.lock",
                        "uv.lock", "go.sum", "composer.lock", "Gemfile.lock"})
SKIP_DIRS = frozenset({"node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache",
                       ".ruff_cache", ".tox", ".nox", ".idea", ".vscode"})



class _Matcher(IgnoreMatcher):
    def ignored(self, path: Path, is_dir: bool) -> bool:
        if is_dir and (path.name in SKIP_DIRS or (path / "pyvenv.cfg").exists()):
            return True  # dependencies and virtualenvs, even when no .gitignore names them
        return super().ignored(path, is_dir)


def candidates(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """The files under `root` worth indexing, with what stat said of each."""
    for path in walk_files(root, _Matcher(root)):
        if path.suffix.lower() not in CODE_SUFFIXES or path.name in SKIP_NAMES:
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        if info.st_size <= MAX_FILE_BYTES:
            yield path, info
