"""Start `codetether serve` as a real subprocess (port 0) against OpenBao and the scripted LLM server."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from a2a.types import Message, Part, Role, SendMessageRequest

from tests.cli.conftest import Cli

MODEL = "openai/test-model"


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_serve(env: dict[str, str], cwd: Path, log: Path, *args: str,
                command: tuple[str, ...] = (sys.executable, "-m", "codetether")) -> Served:
    with open(log, "wb") as err:
        proc = subprocess.Popen([*command, "serve", "--port", "0", *args], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"on http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
        if found:
            return Served(proc, f"http://127.0.0.1:{found.group(1)}", log)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"serve did not start:\n{log.read_text(errors='replace')}")


def user_message(text: str, task_id: str = "", context_id: str = "",
                 immediately: bool | None = None) -> SendMessageRequest:
    """A user message for the a2a-sdk client; `immediately` set: configuration.return_immediately is sent too."""
    request = SendMessageRequest(message=Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), task_id=task_id,
                                                 context_id=context_id, parts=[Part(text=text)]))
    if immediately is not None:
        request.configuration.return_immediately = immediately
    return request


def stop(served: Served) -> None:
    served.proc.terminate()
    try:
        served.proc.wait(10)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.wait(5)


@pytest.fixture
def served(a2a_env, workspace, tmp_path) -> Iterator[Served]:
    s = start_serve(a2a_env, workspace, tmp_path / "serve.log", "--model", MODEL)
    yield s
    stop(s)


@pytest.fixture
def client_cli(a2a_env, tmp_path) -> Cli:
    elsewhere = tmp_path / "client"
    elsewhere.mkdir()
    return Cli(a2a_env, elsewhere)
