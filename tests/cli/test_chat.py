"""The interactive line-mode agent (`codetether` with no command) keeps one conversation across turns."""

from __future__ import annotations

from tests.cli.conftest import API_KEY, assert_clean_failure
from tests.harness.llm_server import Reply, ToolCall


def test_two_turns_share_one_conversation(cli, vault_clean, llm_server, workspace):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": "notes.txt", "content": "one\n"})]),
                      Reply(text="Wrote notes.txt."), Reply(text="It says one."))
    proc = cli(input="write a note\nwhat does it say?\n/exit\n",
               env={**cli.env, "CODETETHER_DEFAULT_MODEL": "openai/m"})
    assert proc.returncode == 0, proc.stderr
    assert "Wrote notes.txt." in proc.stdout and "It says one." in proc.stdout
    assert (workspace / "notes.txt").read_text() == "one\n"
    last = llm_server.requests[-1].body["messages"]
    assert [m["content"] for m in last if m["role"] == "user"] == ["write a note", "what does it say?"]
    assert "[Session: " in proc.stderr


def test_without_providers_prints_the_checklist(cli):
    assert_clean_failure(cli(input=""), "No providers available", "vault kv put")


def test_ctrl_c_at_the_prompt_quits_at_once(cli, vault_clean, llm_server):
    import signal
    import subprocess
    import sys
    import time

    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**cli.env, "CODETETHER_DEFAULT_MODEL": "openai/m"}
    proc = subprocess.Popen([sys.executable, "-m", "codetether"], cwd=cli.cwd, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while "Type a request" not in (proc.stderr.readline() or "") and time.monotonic() < deadline:
            pass
        time.sleep(0.3)  # now blocked waiting for a line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 130
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
