"""`codetether sessions replay`: a recorded session re-run from its recording in a fresh copy of its workspace
reproduces every tool result; a changed workspace is caught at the first step whose result differs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall

TEST_FILE = 'from app import greet\n\nassert greet() == "hello", greet()\nprint("test passed")\n'
SESSION = [
    Reply(tool_calls=[ToolCall("write", {"path": "test_app.py", "content": TEST_FILE})]),
    Reply(tool_calls=[ToolCall("bash", {"command": "python3 test_app.py"})]),  # fails: helo
    Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
    Reply(text="Fixing the typo.", tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"',
                                                                "new_string": '"hello"'})]),
    Reply(tool_calls=[ToolCall("bash", {"command": "python3 test_app.py"})]),  # passes
    Reply(text="Fixed; the test passes."),
]
SECOND_TURN = [Reply(tool_calls=[ToolCall("bash", {"command": "ls"})]), Reply(text="Two files.")]


def _git(root, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", *args], cwd=root, check=True,
                   capture_output=True)


def record(cli, vault_clean, llm_server) -> str:
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(*SESSION, *SECOND_TURN)
    first = cli("run", "--model", "openai/m", "--agent", "build", "make the test pass", "--format", "json")
    assert first.returncode == 0, first.stderr
    second = cli("run", "-c", "what is here?")
    assert second.returncode == 0, second.stderr
    session = json.loads(first.stdout)["session_id"]
    calls = json.loads(cli("sessions", "show", session, "--json").stdout)["tool_calls"]
    outputs = [c["output"] for c in calls]
    assert len(calls) == 6 and "AssertionError: helo" in outputs[1] and "test passed" in outputs[4], outputs
    return session


@pytest.mark.parametrize("repo", [True, False], ids=["from-the-starting-commit", "from-snapshots"])
def test_a_recorded_session_replays_with_no_differences(cli, vault_clean, llm_server, workspace, repo):
    if repo:
        _git(workspace, "init", "-q", "-b", "main")
        _git(workspace, "add", "-A")
        _git(workspace, "commit", "-q", "-m", "start")
    session = record(cli, vault_clean, llm_server)
    requests = len(llm_server.requests)
    after = (workspace / "app.py").read_text()

    proc = cli("sessions", "replay", session[:8])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    how = "a clean checkout of commit" if repo else "the 2 file(s) the session changed put back"
    assert "replayed 2 turn(s), 6 tool call(s) in " in proc.stdout and how in proc.stdout, proc.stdout
    assert proc.stdout.rstrip().endswith("no differences")
    assert proc.stderr.count("  ok turn") == 6 and "DIFF" not in proc.stderr
    assert len(llm_server.requests) == requests  # answered from the recording, not the network
    assert (workspace / "app.py").read_text() == after  # the workspace itself was not touched

    until = json.loads(cli("sessions", "replay", session, "--until", "1", "--json").stdout)
    assert (until["turns"], until["steps"], until["differences"], until["first_difference"]) == (1, 5, 0, None)


def test_a_changed_workspace_is_caught_at_the_first_differing_step(cli, vault_clean, llm_server, workspace,
                                                                   tmp_path):
    session = record(cli, vault_clean, llm_server)
    other = tmp_path / "other"
    shutil.copytree(workspace, other)
    (other / "test_app.py").unlink()
    (other / "app.py").write_text('def greet():\n    return "hola"\n\nprint(greet())\n')  # not the typo any more

    proc = cli("sessions", "replay", session, "--against", str(other))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "first difference: turn 1, step 2: bash" in proc.stdout, proc.stdout
    assert "AssertionError: helo" in proc.stdout and "AssertionError: hola" in proc.stdout
    assert proc.stderr.splitlines()[:2] == ["  ok turn 1 step 1: write", "DIFF turn 1 step 2: bash"]
    report = json.loads(cli("sessions", "replay", session, "--against", str(other), "--json").stdout)
    assert report["first_difference"]["number"] == 2 and report["differences"] >= 3  # read, edit, bash too
    assert "hola" in (other / "app.py").read_text()  # --against is copied, never changed


def test_replay_of_an_unknown_session_is_a_clear_error(cli):
    proc = cli("sessions", "replay", "nosuchsession")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "nosuchsession" in proc.stderr
