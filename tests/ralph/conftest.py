"""Fixtures for Ralph: a small Python project in git with a 3-story PRD, and the real CLI pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY, Cli

BRANCH = "feature/calc-ops"
CALC = "def add(a, b):\n    return a + b\n"
PYPROJECT = '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'


def prd_data() -> dict:
    """US-003 has the highest priority but waits for US-002, so the order is US-001, US-002, US-003."""
    return {
        "project": "calc", "feature": "Calc ops", "branch": BRANCH, "owner": "qa-team",
        "quality_checks": {"lint": "ruff check .", "test": "pytest -q"},
        "user_stories": [
            {"id": "US-001", "title": "Add multiply", "description": "calc.multiply(a, b)",
             "acceptance_criteria": ["multiply(2, 3) == 6"], "priority": 1, "depends_on": [], "passes": False},
            {"id": "US-002", "title": "Add divide", "description": "calc.divide(a, b)",
             "acceptance_criteria": ["divide(6, 3) == 2"], "priority": 2, "depends_on": [], "passes": False},
            {"id": "US-003", "title": "Add power", "description": "calc.power(a, b)", "notes": "keep me",
             "acceptance_criteria": ["power(2, 3) == 8"], "priority": 1, "depends_on": ["US-002"],
             "passes": False},
        ],
    }


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "calc"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_add.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n.ruff_cache/\n")
    (root / "prd.json").write_text(json.dumps(prd_data(), indent=2) + "\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


@pytest.fixture
def cli(isolated_env: dict[str, str], vault_clean, project: Path) -> Cli:
    # ruff and pytest for the quality checks come from this venv.
    path = f"{Path(sys.executable).parent}{os.pathsep}{isolated_env.get('PATH', '')}"
    env = {k: v for k, v in {**isolated_env, **vault_clean.env(), "PATH": path}.items()
           if not k.startswith("PYTEST_")}
    return Cli(env, project)


@pytest.fixture
def model(cli: Cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    return llm_server


def first_requests(server) -> list[dict]:
    """The first request of each iteration: a fresh agent sends only the system prompt and the story."""
    return [r.body for r in server.requests if isinstance(r.body, dict) and len(r.body.get("messages", [])) == 2]


def user_text(body: dict) -> str:
    content = body["messages"][1]["content"]
    return content if isinstance(content, str) else json.dumps(content)
