"""A long-lived serve reaps what its tasks started: no zombie children once background commands end."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.a2a.serve.conftest import MODEL, start_serve, stop
from tests.harness.llm_server import Reply, ToolCall


def _zombie_children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_background_commands_leave_no_zombies(a2a_env, workspace, tmp_path, llm_server):
    served = start_serve(a2a_env, workspace, tmp_path / "serve.log", "--model", MODEL)
    try:
        llm_server.script(Reply(tool_calls=[ToolCall("task", {"action": "start", "command": "echo quick"}),
                                            ToolCall("task", {"action": "start", "command": "sleep 0.5"}),
                                            ToolCall("bash", {"command": "sleep 0.1 & echo done"})]),
                          Reply(text="started them"))
        body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {
            "role": "ROLE_USER", "messageId": "m-zombies", "parts": [{"text": "start things"}]}}}
        r = httpx.post(served.url + "/", json=body, headers={"A2A-Version": "1.0"}, timeout=60)
        assert r.status_code == 200 and "result" in r.json(), r.text
        time.sleep(1.5)  # every command has ended by now
        assert _zombie_children(served.proc.pid) == []
    finally:
        stop(served)
