"""Smoke tests of the installed `codetether` (pip from the wheel, uv tool from the sdist), never the source tree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.a2a.serve.conftest import start_serve, stop
from tests.cli.conftest import API_KEY, workspace  # noqa: F401 - fixture
from tests.harness.llm_server import Reply
from tests.harness.tmux import HAVE_TMUX, Tmux
from tests.packaging.conftest import ROOT, Installed


@pytest.fixture
def user_env(isolated_env, vault_clean, llm_server) -> dict[str, str]:
    """A user's environment: a provider in Vault pointing at the scripted model, no crash-report question."""
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    return {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m",
            "CODETETHER_CRASH_REPORTING": "false", "TERM": "xterm-256color"}


def _run(installed: Installed, *args: str, env: dict[str, str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed.command), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False, **kw)


def test_installed_command_is_the_installed_package(installed: Installed, tmp_path):
    where = subprocess.run([str(installed.python), "-c", "import codetether; print(codetether.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout.strip()
    assert not Path(where).resolve().is_relative_to(ROOT), where
    version = subprocess.run([str(installed.python), "-c",
                              "import importlib.metadata as m; print(m.version('codetether-agent'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    proc = subprocess.run([str(installed.command), "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"codetether {version}", proc


def test_installed_run_answers(installed, user_env, llm_server, workspace):  # noqa: F811
    llm_server.script(Reply(text="Installed and answering."))
    proc = _run(installed, "run", "hello", env=user_env, cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert "Installed and answering." in proc.stdout


@pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")
def test_installed_tui_shows_a_reply(installed, user_env, llm_server, workspace):  # noqa: F811
    llm_server.script(Reply(text="A scripted reply in the TUI."))
    with Tmux([str(installed.command)], user_env, workspace) as term:
        term.until("openai/m")
        term.send("hello there", "Enter")
        term.until("A scripted reply in the TUI.")
        term.send("C-c")
        assert term.wait_exit(), term.screen()
        assert "Traceback" not in term.screen() and "Error" not in term.screen()


def test_installed_serve_answers_its_card(installed, user_env, workspace, tmp_path):  # noqa: F811
    served = start_serve(user_env, workspace, tmp_path / "serve.log", command=(str(installed.command),))
    try:
        card = httpx.get(f"{served.url}/.well-known/agent-card.json", timeout=10, trust_env=False)
        assert card.status_code == 200 and card.json()["name"], card.text
    finally:
        stop(served)


def test_installed_mcp_serve_initialises(installed, user_env, workspace):  # noqa: F811
    proc = subprocess.Popen([str(installed.command), "mcp", "serve", str(workspace)], env=user_env, cwd=workspace,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def call(msg_id: int, method: str, params: dict) -> dict:
            proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}) + "\n")
            proc.stdin.flush()
            return json.loads(proc.stdout.readline())

        init = call(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                      "clientInfo": {"name": "smoke", "version": "0"}})
        assert init["result"]["serverInfo"]["name"], init
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        tools = call(2, "tools/list", {})
        by_name = {t["name"]: t for t in tools["result"]["tools"]}
        assert by_name["read"]["description"], by_name.keys()  # descriptions are package data (.txt)
    finally:
        proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert "Traceback" not in proc.stderr.read()
