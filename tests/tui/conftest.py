"""The TUI in-process against the scripted LLM server and OpenBao: env points at both, cwd is a project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY, workspace  # noqa: F401  (fixture re-export)


@pytest.fixture
def tui_env(isolated_env, vault_clean, llm_server, workspace, monkeypatch):  # noqa: F811
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    for key, value in vault_clean.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CODETETHER_DEFAULT_MODEL", "openai/m")
    monkeypatch.setenv("CODETETHER_CRASH_REPORTING", "false")  # no first-run consent dialog over the chat
    monkeypatch.chdir(workspace)
    return {**dict(os.environ)}


def make_app(root: Path, **kwargs):
    from codetether.config.load import load
    from codetether.tui.app import CodetetherApp

    return CodetetherApp(load(), root, **kwargs)


async def wait_for(pilot, predicate, timeout: float = 15.0) -> None:
    """Let the app run until predicate() holds; a generous bound, only there so a broken app fails, not hangs."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.05)
