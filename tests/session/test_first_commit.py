"""A session started in a repository before its first commit stays listed and resumable after that commit."""

from __future__ import annotations

import json
import subprocess

from tests.cli.conftest import API_KEY, cli, workspace  # noqa: F401 - fixtures
from tests.harness.llm_server import Reply


def _git(root, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", *args], cwd=root, check=True,
                   capture_output=True)


def test_session_from_before_the_first_commit_survives_it(cli, vault_clean, llm_server, workspace):  # noqa: F811
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    cli.env["CODETETHER_DEFAULT_MODEL"] = "openai/m"
    llm_server.script(Reply(text="first answer"), Reply(text="second answer"))
    _git(workspace, "init", "-q", "-b", "main")  # a repository with no commit yet
    first = cli("run", "remember the word PELICAN")
    assert first.returncode == 0, first.stderr
    [before] = json.loads(cli("sessions", "list", "--json").stdout)

    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-q", "-m", "first commit")

    listed = json.loads(cli("sessions", "list", "--json").stdout)
    assert [s["id"] for s in listed] == [before["id"]]
    again = cli("run", "-c", "which word?")
    assert again.returncode == 0 and "second answer" in again.stdout, again.stderr
    users = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "user"]
    assert users == ["remember the word PELICAN", "which word?"]  # the same conversation, continued
    assert f"Session: {before['id']}" in again.stderr
