"""End to end: [permission] rules, the workspace boundary and the plan agent, through `codetether run`."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from tests.cli.conftest import API_KEY, assert_clean_failure
from tests.harness.llm_server import Reply, ToolCall


def _setup(cli, vault, server, config: str | None = None) -> Path:
    vault.put_provider("openai", api_key=API_KEY, base_url=server.base_url_openai)
    path = Path(cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    if config is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config)
    return path


def _tool_results(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "tool"]


def _refusals(cli) -> list[dict]:
    db = sqlite3.connect(Path(cli.env["CODETETHER_DATA_DIR"]) / "sessions.db")
    try:
        rows = db.execute("SELECT detail FROM events WHERE kind = 'refusal' ORDER BY rowid").fetchall()
    finally:
        db.close()
    return [json.loads(detail) for (detail,) in rows]


def test_plan_agent_refuses_every_change(cli, vault_clean, llm_server, workspace):
    _setup(cli, vault_clean, llm_server)
    before = (workspace / "app.py").read_text()
    llm_server.script(Reply(tool_calls=[
        ToolCall("write", {"path": "new.txt", "content": "x"}),
        ToolCall("edit", {"path": "app.py", "old_string": "helo", "new_string": "hello"}),
        ToolCall("bash", {"command": "rm app.py"}),
        ToolCall("bash", {"command": "ls > listing.txt"}),
        ToolCall("bash", {"command": "ls && wc -l app.py"}),
    ]), Reply(text="ok"))
    proc = cli("run", "--agent", "plan", "--model", "openai/m", "plan it")
    assert proc.returncode == 0, proc.stderr
    write, edit, rm, redirect, status = _tool_results(llm_server.requests[1])
    assert "not available to the plan agent" in write and "not available to the plan agent" in edit
    assert "refused" in rm and "read-only" in rm
    assert "refused" in redirect and "'>'" in redirect
    assert "refused" not in status and "4 app.py" in status
    assert sorted(p.name for p in workspace.iterdir()) == ["app.py"]
    assert (workspace / "app.py").read_text() == before
    assert [r["tool"] for r in _refusals(cli)] == ["write", "edit", "bash", "bash"]


def test_paths_outside_the_workspace_are_refused(cli, vault_clean, llm_server, workspace, tmp_path_factory):
    _setup(cli, vault_clean, llm_server)
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "secret.txt").write_text("top secret\n")
    (workspace / "link.txt").symlink_to(outside / "secret.txt")
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "../../etc/passwd"}),
                                        ToolCall("read", {"path": str(outside / "secret.txt")}),
                                        ToolCall("read", {"path": "link.txt"})]), Reply(text="ok"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "read them")
    assert proc.returncode == 0, proc.stderr
    results = _tool_results(llm_server.requests[1])
    assert len(results) == 3
    for result in results:
        assert "refused" in result and "outside the workspace" in result and "top secret" not in result
    assert len(_refusals(cli)) == 3


def test_external_directory_allow_lets_reads_through(cli, vault_clean, llm_server, tmp_path_factory):
    _setup(cli, vault_clean, llm_server, '[permission]\nexternal_directory = "allow"\n')
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "notes.txt").write_text("shared notes\n")
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": str(outside / "notes.txt")})]), Reply(text="ok"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "read it")
    assert proc.returncode == 0, proc.stderr
    [result] = _tool_results(llm_server.requests[1])
    assert "shared notes" in result


BASH_RULES = '[permission.bash]\n"rm -rf*" = "deny"\n"echo ask*" = "ask"\n"*" = "allow"\n'


def test_bash_rules_deny_and_ask(cli, vault_clean, llm_server, workspace):
    config = _setup(cli, vault_clean, llm_server, BASH_RULES)
    (workspace / "x").mkdir()
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "rm -rf x"}),
                                        ToolCall("bash", {"command": "echo ask me > asked.txt"}),
                                        ToolCall("bash", {"command": "echo fine"})]), Reply(text="ok"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "clean up")
    assert proc.returncode == 0, proc.stderr
    denied, asked, fine = _tool_results(llm_server.requests[1])
    assert "refused" in denied and '"rm -rf*" = "deny"' in denied and str(config) in denied
    assert "refused" in asked and "approval" in asked and "--yes" in asked and str(config) in asked
    assert "fine" in fine and "exit code 0" in fine
    assert (workspace / "x").is_dir() and not (workspace / "asked.txt").exists()
    refusals = _refusals(cli)
    assert [r["tool"] for r in refusals] == ["bash", "bash"]
    assert "rm -rf*" in refusals[0]["reason"] and "--yes" in refusals[1]["reason"]


def test_yes_approves_ask_but_not_deny(cli, vault_clean, llm_server, workspace):
    _setup(cli, vault_clean, llm_server, BASH_RULES)
    (workspace / "x").mkdir()
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "echo ask me > asked.txt"}),
                                        ToolCall("bash", {"command": "rm -rf x"})]), Reply(text="ok"))
    proc = cli("run", "--yes", "--agent", "build", "--model", "openai/m", "go")
    assert proc.returncode == 0, proc.stderr
    asked, denied = _tool_results(llm_server.requests[1])
    assert "exit code 0" in asked and (workspace / "asked.txt").read_text() == "ask me\n"
    assert "refused" in denied and (workspace / "x").is_dir()


def test_broken_permission_config_names_file_and_key(cli, vault_clean, llm_server):
    config = _setup(cli, vault_clean, llm_server, '[permission]\nedit = "sometimes"\n')
    proc = cli("run", "--model", "openai/m", "hi")
    assert_clean_failure(proc, str(config), "permission.edit", "allow, ask, deny")
    config.write_text('[permission]\nshell = "deny"\n')  # an unknown key: a warning, and commands still run
    proc = cli("config", "--show")
    assert proc.returncode == 0 and f"warning: {config} line 2: unknown key 'permission.shell' (ignored); known " \
        "in [permission]: bash, edit, external_directory, local_network, tools, webfetch" in proc.stderr
    config.write_text('[permission.bash]\n"git push*" = "later"\n')
    proc = cli("run", "--model", "openai/m", "hi")
    assert_clean_failure(proc, str(config), 'permission.bash."git push*"')
    assert llm_server.requests == []
    assert os.path.exists(config)


def test_chat_asks_on_the_terminal(cli, vault_clean, llm_server, workspace):
    _setup(cli, vault_clean, llm_server, '[permission]\nedit = "ask"\n')
    llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": "a.txt", "content": "a\n"})]), Reply(text="one"),
                      Reply(tool_calls=[ToolCall("write", {"path": "b.txt", "content": "b\n"})]), Reply(text="two"))
    proc = cli("chat", "--model", "openai/m", input="write a\ny\nwrite b\nn\n/exit\n")
    assert proc.returncode == 0, proc.stderr
    assert "Allow write (changes files)?" in proc.stdout
    assert (workspace / "a.txt").read_text() == "a\n" and not (workspace / "b.txt").exists()
    [declined] = _tool_results(llm_server.requests[3])[1:]
    assert "declined" in declined
    assert ["declined" in r["reason"] for r in _refusals(cli)] == [True]
