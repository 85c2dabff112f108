"""The system prompt: agent prompt, environment block, then AGENTS.md from the git root down to cwd."""

from __future__ import annotations

import subprocess
from pathlib import Path

from codetether.agent.agents import get_agent
from codetether.agent.prompt import INSTRUCTIONS_CAP, build_system_prompt


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg" / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "feature-x", str(root)], check=True)
    return root


def test_agents_files_from_root_to_cwd_with_override(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    (tmp_path / "codex").mkdir()
    (tmp_path / "codex" / "AGENTS.md").write_text("GLOBAL RULE")
    root = _repo(tmp_path)
    (root / "AGENTS.md").write_text("ROOT RULE")
    (root / "pkg" / "AGENTS.md").write_text("PKG RULE (ignored)")
    (root / "pkg" / "AGENTS.override.md").write_text("PKG OVERRIDE")
    (root / "pkg" / "sub" / "AGENTS.md").write_text("   ")  # empty files are skipped
    prompt = build_system_prompt(get_agent("build"), root / "pkg" / "sub")
    assert prompt.index("GLOBAL RULE") < prompt.index("ROOT RULE") < prompt.index("PKG OVERRIDE")
    assert "PKG RULE (ignored)" not in prompt
    assert "Git branch: feature-x" in prompt and f"Working directory: {root / 'pkg' / 'sub'}" in prompt


def test_instructions_are_capped_at_32_kib(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "none"))
    root = _repo(tmp_path)
    (root / "AGENTS.md").write_text("é" * 40_000)
    prompt = build_system_prompt(get_agent("plan"), root)
    section = prompt.split("## Project Instructions (AGENTS.md)", 1)[1]
    assert len(section.encode()) <= INSTRUCTIONS_CAP + 100
    assert "read-only" in prompt.lower() or "cannot change files" in prompt


def test_outside_git_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "none"))
    prompt = build_system_prompt(get_agent("explore"), tmp_path)
    assert "Not a git repository" in prompt and "Project Instructions" not in prompt
