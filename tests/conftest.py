"""Shared fixtures: scripted LLM server, OpenBao dev server and an isolated process environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.llm_server import LLMServer
from tests.harness.vault import VaultDevServer

# Variables that could leak real credentials, real config or a real proxy into a test.
_SCRUB_PREFIXES = ("VAULT_", "BAO_", "CODETETHER_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "GOOGLE_", "AZURE_",
                   "OPENROUTER_", "MISTRAL_", "GROQ_", "DEEPSEEK_", "XAI_", "TOGETHER_", "AWS_")
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@pytest.fixture
def llm_server() -> Iterator[LLMServer]:
    """A fresh scripted LLM server per test."""
    with LLMServer() as server:
        yield server


@pytest.fixture(scope="session")
def vault() -> Iterator[VaultDevServer]:
    """One OpenBao dev server for the whole session (startup costs about a second)."""
    with VaultDevServer() as server:
        yield server


@pytest.fixture
def vault_clean(vault: VaultDevServer) -> VaultDevServer:
    """The session vault with every provider secret removed first."""
    vault.clear_providers()
    return vault


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point HOME/XDG/CODETETHER_DATA_DIR at tmp dirs, drop credentials and proxies; return env for children."""
    for key in list(os.environ):
        upper = key.upper()
        if upper.startswith(_SCRUB_PREFIXES) or upper.endswith("_API_KEY") or key.lower() in _PROXY_VARS:
            monkeypatch.delenv(key)
    dirs = {"HOME": "home", "XDG_CONFIG_HOME": "xdg-config", "XDG_DATA_HOME": "xdg-data",
            "XDG_STATE_HOME": "xdg-state", "XDG_CACHE_HOME": "xdg-cache", "CODETETHER_DATA_DIR": "codetether-data"}
    for var, name in dirs.items():
        path = tmp_path / name
        path.mkdir(exist_ok=True)
        monkeypatch.setenv(var, str(path))
    return dict(os.environ)
