"""Fixtures shared by the serve and worker tests: a provider in OpenBao pointing at the scripted LLM server, and a project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.a2a.worker_proc import FAST, WorkerProc
from tests.cli.conftest import API_KEY
from tests.harness.platform_server import PlatformServer


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


@pytest.fixture
def base_env(a2a_env) -> dict[str, str]:
    return {**a2a_env, **FAST}


@pytest.fixture
def start_worker(base_env, workspace, tmp_path) -> Iterator[Callable[..., WorkerProc]]:
    """Start `codetether worker` against a platform (or a URL) in `workspace`; every one is killed afterwards."""
    started: list[WorkerProc] = []

    def start(server: PlatformServer | str, *extra: str, env: dict[str, str] | None = None,
              command: tuple[str, ...] = ("worker",)) -> WorkerProc:
        url = server if isinstance(server, str) else server.url
        args = [*command, *(["--server", url, "--workspace", str(workspace)] if url else []), *extra]
        proc = WorkerProc(args, {**base_env, **(env or {})}, workspace, tmp_path / f"worker{len(started)}.log")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


def released(platform: PlatformServer, task_id: str, worker: WorkerProc, timeout: float = 30) -> dict:
    """The accepted result report of `task_id`, once it arrives."""
    platform.wait_for(lambda: platform.releases(task_id, accepted=True), timeout, f"release of {task_id}", worker.alive)
    return platform.releases(task_id, accepted=True)[0].body
