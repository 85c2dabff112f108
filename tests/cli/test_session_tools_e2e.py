"""End to end through the CLI: plan mode, todos across runs, and the question tool, with the scripted LLM."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall


def _setup(cli, vault, server) -> None:
    vault.put_provider("openai", api_key=API_KEY, base_url=server.base_url_openai)


def _offered(request) -> set[str]:
    return {t["function"]["name"] for t in request.body.get("tools") or []}


def _tool_results(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "tool"]


def _state(cli, key: str) -> list:
    db = sqlite3.connect(Path(cli.env["CODETETHER_DATA_DIR"]) / "sessions.db")
    try:
        return [json.loads(v) for (v,) in db.execute("SELECT value FROM session_state WHERE key = ?", (key,))]
    finally:
        db.close()


def test_plan_enter_takes_away_write_until_plan_exit(cli, vault_clean, llm_server, workspace):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(
        Reply(tool_calls=[ToolCall("plan_enter", {"goal": "rename greet", "steps": ["find callers", "rename"]})]),
        Reply(tool_calls=[ToolCall("write", {"path": "during.txt", "content": "x"}),
                          ToolCall("bash", {"command": "touch during2.txt"}),
                          ToolCall("read", {"path": "app.py"})]),
        Reply(tool_calls=[ToolCall("plan_exit", {"summary": "rename greet to hello"})]),
        Reply(tool_calls=[ToolCall("write", {"path": "after.txt", "content": "done\n"})]),
        Reply(text="finished"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "plan then do it")
    assert proc.returncode == 0, proc.stderr
    first, in_plan, refused, back, _ = llm_server.requests
    assert {"write", "edit", "tool_load"} <= _offered(first) and "plan_exit" not in _offered(first)
    assert "write" not in _offered(in_plan) and "edit" not in _offered(in_plan) and "plan_exit" in _offered(in_plan)
    assert "Plan mode" in _tool_results(in_plan)[-1]
    write, bash, read = _tool_results(refused)[-3:]
    assert "not available to the plan agent" in write
    assert "refused" in bash and "read-only" in bash
    assert "def greet" in read
    assert "write" in _offered(back) and "Summary: rename greet to hello" in _tool_results(back)[-1]
    assert not (workspace / "during.txt").exists() and not (workspace / "during2.txt").exists()
    assert (workspace / "after.txt").read_text() == "done\n"
    [plan] = _state(cli, "plan")
    assert plan["steps"] == ["find callers", "rename"] and plan["active"] is False


def test_plan_mode_lasts_across_a_resume(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("plan_enter", {"goal": "g", "steps": ["s"]})]),
                      Reply(text="planning"), Reply(text="still planning"))
    assert cli("run", "--agent", "build", "--model", "openai/m", "start").returncode == 0
    proc = cli("run", "-c", "go on")
    assert proc.returncode == 0, proc.stderr
    resumed = llm_server.requests[-1]
    assert "write" not in _offered(resumed) and "plan_exit" in _offered(resumed)


def test_plan_exit_cannot_leave_a_run_started_as_plan(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("plan_exit", {"summary": "let me write"})]), Reply(text="ok"))
    assert cli("run", "--agent", "plan", "--model", "openai/m", "plan").returncode == 0
    [result] = _tool_results(llm_server.requests[1])
    assert "not in a plan mode begun with plan_enter" in result
    assert "write" not in _offered(llm_server.requests[1])


def test_todos_persist_across_runs_of_a_session(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("todo_write", {"todos": [
                          {"content": "write the parser", "status": "in_progress"},
                          {"content": "add tests", "priority": "high"}]})]),
                      Reply(text="noted"),
                      Reply(tool_calls=[ToolCall("todo_read", {})]), Reply(text="read"))
    assert cli("run", "--agent", "build", "--model", "openai/m", "plan the work").returncode == 0
    proc = cli("run", "-c", "what is left?")
    assert proc.returncode == 0, proc.stderr
    listing = _tool_results(llm_server.requests[-1])[-1]
    assert "[~] 1. write the parser" in listing and "[ ] 2. add tests (high)" in listing


def test_question_headless_and_in_chat(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    ask = ToolCall("question", {"question": "Which colour?", "options": ["red", "blue"], "default": "red"})
    llm_server.script(Reply(tool_calls=[ask]), Reply(text="ok"))
    assert cli("run", "--agent", "build", "--model", "openai/m", "pick").returncode == 0
    [headless] = _tool_results(llm_server.requests[1])
    assert headless.startswith("no user available; proceed with your best judgement")

    llm_server.script(Reply(tool_calls=[ask]), Reply(text="blue it is"))
    proc = cli(input="pick a colour\n2\n/exit\n", env={**cli.env, "CODETETHER_DEFAULT_MODEL": "openai/m"})
    assert proc.returncode == 0, proc.stderr
    assert "Which colour?" in proc.stdout and "2. blue" in proc.stdout
    assert _tool_results(llm_server.requests[-1])[-1] == "The user answered: blue"
    assert "Task was destroyed" not in proc.stderr and "Traceback" not in proc.stderr  # streams closed on the way out
