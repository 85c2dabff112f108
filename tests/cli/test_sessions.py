"""End to end: resuming sessions, surviving SIGKILL, `sessions list|show|export|delete|undo` on the real CLI."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY, assert_clean_failure
from tests.harness.llm_server import Reply, Stall, ToolCall

BUILD = ("run", "--agent", "build", "--model", "openai/m")


@pytest.fixture
def model(vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    return llm_server


def _ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stderr
    return proc


def _sessions(cli, *args: str) -> list[dict]:
    return json.loads(_ok(cli("sessions", "list", "--json", *args)).stdout)


def _conversation(body: dict) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in body["messages"] if isinstance(m.get("content"), str)]


def test_continue_and_session_prefix_send_earlier_turns(cli, model):
    model.script(Reply(text="first answer"))
    _ok(cli("run", "--model", "openai/m", "first question"))
    model.script(Reply(text="second answer"))
    _ok(cli("run", "--continue", "second question"))  # the model comes from the session
    assert _conversation(model.requests[1].body)[1:] == [
        ("user", "first question"), ("assistant", "first answer"), ("user", "second question")]

    sid = _sessions(cli)[0]["id"]
    model.script(Reply(text="third answer"))
    _ok(cli("run", "--session", sid[:8], "third question"))
    assert _conversation(model.requests[2].body)[-2:] == [("assistant", "second answer"), ("user", "third question")]
    assert len(_sessions(cli)) == 1 and _sessions(cli)[0]["turn_count"] == 3


def test_continue_without_a_session_is_a_clear_error(cli, model):
    proc = cli("run", "--model", "openai/m", "--continue", "hello")
    assert_clean_failure(proc, "no earlier session")
    assert proc.returncode == 1 and model.requests == []


def test_sigkill_mid_turn_keeps_earlier_turns_intact(cli, model):
    model.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo."))
    _ok(cli(*BUILD, "what does app.py print?"))
    model.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"}, id="call_again")]), Stall(30))
    proc = subprocess.Popen([sys.executable, "-m", "codetether", *BUILD, "--continue", "read it again"],
                            cwd=cli.cwd, env=cli.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        model.wait_for_requests(4, timeout=30)  # the stalled request: turn 2's first step is done
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    sid = _sessions(cli)[0]["id"]
    shown = json.loads(_ok(cli("sessions", "show", sid, "--json")).stdout)
    by_turn = {1: [], 2: []}
    for m in shown["messages"]:
        by_turn[m["turn"]].append(m)
    assert [m["role"] for m in by_turn[1]] == ["user", "assistant", "tool", "assistant"]
    assert by_turn[1][-1]["parts"][0]["text"] == "It prints helo."
    assert [m["role"] for m in by_turn[2]] == ["user", "assistant", "tool"]
    assert by_turn[2][0]["parts"][0]["text"] == "read it again"
    assert by_turn[2][1]["parts"][0]["name"] == "read" and "helo" in by_turn[2][2]["parts"][0]["content"]
    assert shown["turns"][0]["exit_reason"] == "completed" and shown["turns"][1]["ended_at"] is None
    db = sqlite3.connect(Path(cli.env["CODETETHER_DATA_DIR"]) / "sessions.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


DELETE_OLD = "--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-keep\n-me\n"


def test_undo_restores_files_byte_for_byte(cli, model, workspace):
    app, script, old = workspace / "app.py", workspace / "tool.sh", workspace / "old.txt"
    originals = {app: app.read_bytes(), script: b"#!/bin/sh\necho caf\xe9 \xff\n", old: b"keep\nme\n"}
    script.write_bytes(originals[script])
    script.chmod(0o755)
    old.write_bytes(originals[old])
    old.chmod(0o640)
    model.script(
        Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": "helo", "new_string": "hello"}),
                          ToolCall("edit", {"path": "tool.sh", "old_string": "echo", "new_string": "printf"})]),
        Reply(tool_calls=[ToolCall("write", {"path": "made/new.txt", "content": "brand new\n"})]),
        Reply(tool_calls=[ToolCall("apply_patch", {"patch": DELETE_OLD})]),
        Reply(text="done"))
    _ok(cli(*BUILD, "change things"))
    assert b"printf caf\xe9 \xff" in script.read_bytes() and (workspace / "made/new.txt").exists()
    assert not old.exists()

    proc = _ok(cli("sessions", "undo"))

    for path, data in originals.items():
        assert path.read_bytes() == data, path
    assert script.stat().st_mode & 0o777 == 0o755 and old.stat().st_mode & 0o777 == 0o640
    assert not (workspace / "made/new.txt").exists()
    for line in ("restored app.py", "restored tool.sh", "removed made/new.txt", "recreated old.txt"):
        assert line in proc.stdout
    sid = _sessions(cli)[0]["id"]
    exported = json.loads(_ok(cli("sessions", "export", sid)).stdout)
    assert [e["kind"] for e in exported["events"]] == ["undo"] and exported["turns"][0]["undone"] == 1
    assert_clean_failure(cli("sessions", "undo"), "no turns left to undo")


def test_undo_two_turns_and_continue_forgets_them(cli, model, workspace):
    app = workspace / "app.py"
    original = app.read_bytes()
    model.script(Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": "helo", "new_string": "hello"})]),
                 Reply(text="one"))
    _ok(cli(*BUILD, "turn one"))
    model.script(Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": "hello", "new_string": "hi"}),
                                   ToolCall("write", {"path": "notes.md", "content": "x"})]),
                 Reply(text="two"))
    _ok(cli(*BUILD, "-c", "turn two"))
    sid = _sessions(cli)[0]["id"]

    proc = _ok(cli("sessions", "undo", sid[:6], "--turns", "2"))

    assert app.read_bytes() == original and not (workspace / "notes.md").exists()
    assert proc.stdout.index("undid turn 2") < proc.stdout.index("undid turn 1")
    model.script(Reply(text="fresh"))
    _ok(cli(*BUILD, "-c", "turn three"))
    sent = json.dumps(model.requests[-1].body)
    assert "turn three" in sent and "turn one" not in sent and "turn two" not in sent


def test_list_show_export_delete(cli, model, workspace, tmp_path):
    model.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo.", usage=(50, 5)))
    _ok(cli(*BUILD, "what does app.py print?"))
    model.script(Reply(text="second session", usage=(20, 2)))
    _ok(cli("run", "--model", "openai/m", "another question"))

    listed = _sessions(cli)
    assert [s["title"] for s in listed] == ["another question", "what does app.py print?"]
    assert {"id", "updated_at", "title", "model", "message_count", "prompt_tokens", "cost_usd"} <= set(listed[0])
    assert listed[1]["message_count"] == 4 and listed[1]["model"] == "openai/m"
    assert len(_sessions(cli, "--limit", "1")) == 1
    text = _ok(cli("sessions", "list")).stdout
    assert listed[0]["id"] in text and "what does app.py print?" in text

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = type(cli)(cli.env, elsewhere)
    assert _sessions(other) == [] and len(_sessions(other, "--all")) == 2
    assert "no sessions for this project" in _ok(other("sessions", "list")).stderr

    sid = listed[1]["id"]
    shown = _ok(cli("sessions", "show", sid[:8])).stdout
    for needle in ("user: what does app.py print?", "-> read", "<- read:", "assistant: It prints helo.", "completed"):
        assert needle in shown, shown
    data = json.loads(_ok(cli("sessions", "show", sid, "--json")).stdout)
    assert data["session"]["id"] == sid and len(data["messages"]) == 4 and len(data["turns"]) == 1
    assert data["totals"]["prompt_tokens"] == data["turns"][0]["prompt_tokens"] >= 50
    assert data["tool_calls"][0]["name"] == "read"

    out = tmp_path / "export.json"
    assert "exported" in _ok(cli("sessions", "export", sid, "-o", str(out))).stderr
    exported = json.loads(out.read_text())
    assert exported["session"]["id"] == sid and exported["messages"] == data["messages"]
    assert {"turns", "tool_calls", "events", "format"} <= set(exported)
    assert exported == {**json.loads(_ok(cli("sessions", "export", sid)).stdout), "exported_at": exported["exported_at"]}

    assert sid in _ok(cli("sessions", "delete", sid)).stdout
    assert [s["id"] for s in _sessions(cli)] == [listed[0]["id"]]
    assert_clean_failure(cli("sessions", "show", sid), "no session matches")


@pytest.mark.parametrize("args, needle", [
    (("show", "deadbeef"), "no session matches id 'deadbeef'"),
    (("show", "not-an-id!"), "is not a session id"),
    (("export", "abc"), "is not a session id"),
    (("delete", "0000"), "no session matches"),
    (("undo", "ffff0000"), "no session matches"),
    (("undo",), "no session for"),
])
def test_unknown_or_malformed_ids(cli, args, needle):
    proc = cli("sessions", *args)
    assert_clean_failure(proc, needle)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")
