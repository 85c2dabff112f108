"""The quality checks a new PRD gets: what the project in the directory (or its enclosing repository) uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

Checks = dict[str, str | None]

_CARGO: Checks = {"typecheck": "cargo check", "lint": "cargo clippy", "test": "cargo test",
                  "build": "cargo build --release"}
_GO: Checks = {"typecheck": "go vet ./...", "lint": None, "test": "go test ./...", "build": "go build ./..."}
_NONE: Checks = {"typecheck": None, "lint": None, "test": None, "build": None}
# npm init's placeholder test script fails on purpose: it is no test suite.
_NO_TEST = re.compile(r"no test specified")
_LOCKFILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun"), ("bun.lock", "bun"))


def detect_checks(cwd: Path) -> tuple[Checks, str | None]:
    """The checks and the kind of project they were chosen for (None: nothing recognised, no checks)."""
    for root in _candidates(cwd):
        if (root / "Cargo.toml").is_file():
            return dict(_CARGO), "Rust (Cargo.toml)"
        if any((root / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg")):
            return _python(root), "Python"
        if (root / "package.json").is_file():
            return _node(root), "Node (package.json)"
        if (root / "go.mod").is_file():
            return dict(_GO), "Go (go.mod)"
    return dict(_NONE), None


def _candidates(cwd: Path) -> list[Path]:
    """The directory, then its parents up to the enclosing git repository's root."""
    out = [cwd]
    for parent in cwd.resolve().parents:
        if (out[-1] / ".git").exists():
            break
        out.append(parent)
    return out if (out[-1] / ".git").exists() else [cwd]


def _python(root: Path) -> Checks:
    pyproject = _read(root / "pyproject.toml")
    typed = "[tool.mypy]" in pyproject or (root / "mypy.ini").is_file()
    return {"typecheck": "mypy ." if typed else None, "lint": "ruff check .", "test": "pytest -q", "build": None}


def _node(root: Path) -> Checks:
    try:
        scripts = json.loads(_read(root / "package.json")).get("scripts") or {}
    except (ValueError, AttributeError):
        scripts = {}
    scripts = scripts if isinstance(scripts, dict) else {}
    manager = next((name for lock, name in _LOCKFILES if (root / lock).is_file()), "npm")

    def run(*names: str) -> str | None:
        found = next((n for n in names if isinstance(scripts.get(n), str) and scripts[n].strip()), None)
        return f"{manager} run {found}" if found else None

    test = scripts.get("test")
    typecheck = run("typecheck", "type-check", "tsc") or ("npx tsc --noEmit" if (root / "tsconfig.json").is_file()
                                                           else None)
    return {"typecheck": typecheck, "lint": run("lint"),
            "test": f"{manager} test" if isinstance(test, str) and test.strip() and not _NO_TEST.search(test)
            else None,
            "build": run("build")}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
