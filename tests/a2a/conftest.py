"""Fixtures shared by the serve and worker tests: a provider in OpenBao pointing at the scripted LLM server, and a project."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY


@pytest.fixture
def a2a_env(isolated_env, vault_clean, llm_server) -> dict[str, str]:
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    return {**isolated_env, **vault_clean.env()}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text('def greet():\n    return "helo"\n')
    return root
