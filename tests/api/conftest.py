"""The public API driven in this process and by the docs' example scripts, against OpenBao and the scripted
LLM server (the provider's key and base URL in Vault, as a user would have them)."""

from __future__ import annotations

import os

import pytest

from tests.cli.conftest import API_KEY, workspace  # noqa: F401 - fixture

MODEL = "openai/scripted"


@pytest.fixture
def api_env(isolated_env, vault_clean, llm_server, monkeypatch) -> dict[str, str]:
    """This process and its children see the test Vault, a provider pointing at the scripted server, and
    CODETETHER_MODEL (which the examples read)."""
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    for key, value in {**vault_clean.env(), "CODETETHER_MODEL": MODEL}.items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)


def user_texts(body: dict) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "user" and isinstance(m["content"], str)]


def tool_results(body: dict) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


def tool_names(body: dict) -> list[str]:
    return sorted(t["function"]["name"] for t in body.get("tools", []))

