"""The acceptance path driven by the official TypeScript SDK's client (@agentclientprotocol/sdk, pinned in
tests/acp_agent/node/package-lock.json and installed by `make test`) on this machine's Node.js."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.acp_agent.conftest import AGENT
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.procs import wait_gone

NODE_DIR = Path(__file__).with_name("node")
SDK = NODE_DIR / "node_modules" / "@agentclientprotocol" / "sdk" / "package.json"


def test_typescript_sdk_client_walks_the_acceptance_path(acp_env, llm_server):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (the TypeScript SDK client needs `node` on PATH)")
    assert SDK.is_file(), "the ACP TypeScript SDK is not installed: run `make test` (it runs npm ci in tests/acp_agent/node)"
    acp_env.write_config('[permission]\nbash = "ask"\n')
    pid_file = acp_env.cwd / "pid.txt"
    llm_server.script(
        Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"', "new_string": '"hello"'},
                                   id="edit1")]),
        Reply(text="Fixed the typo."),
        Reply(tool_calls=[ToolCall("bash", {"command": "touch rejected.txt"}, id="b1")]),
        Reply(text="Not touching it."),
        Reply(tool_calls=[ToolCall("bash", {"command": "touch allowed.txt"}, id="b2")]),
        Reply(text="Made it."),
        Reply(tool_calls=[ToolCall("bash", {"command": f"echo $$ > {pid_file}; sleep 30.618; echo late > late.txt"},
                                   id="slow")]),
        Reply(text="Still here."))
    proc = subprocess.run([node, str(NODE_DIR / "client.mjs"), str(acp_env.cwd), "--", *AGENT],
                          env=acp_env.env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout)

    assert seen["initialize"]["agentCapabilities"]["loadSession"] is True
    assert seen["modes"]["currentModeId"] == "build"
    first = seen["firstUpdates"]
    assert seen["edit"]["stopReason"] == "end_turn" and '"hello"' in seen["appAfterEdit"]
    diffs = [c for u in first if u["sessionUpdate"] == "tool_call_update" and u["toolCallId"] == "edit1"
             for c in u.get("content") or [] if c["type"] == "diff"]
    assert diffs and '"helo"' in diffs[0]["oldText"] and '"hello"' in diffs[0]["newText"]
    assert "Fixed the typo." in "".join(u["content"]["text"] for u in first if u["sessionUpdate"] == "agent_message_chunk")

    asked = {r["toolCallId"]: r["kinds"] for r in seen["permissionRequests"]}
    assert set(asked) == {"b1", "b2", "slow"}
    assert asked["b1"] == ["allow_once", "allow_always", "reject_once"]
    assert not (acp_env.cwd / "rejected.txt").exists()
    assert (acp_env.cwd / "allowed.txt").exists()
    assert tomllib.loads(acp_env.config.read_text())["permission"]["bash"]["touch allowed.txt"] == "allow"

    assert seen["cancelled"]["stopReason"] == "cancelled"
    assert not wait_gone("30.618", within=3.0)  # (the pid it wrote is its sandbox's own namespace's)
    assert not (acp_env.cwd / "late.txt").exists()

    assert seen["unknownSession"]["code"] == -32602 and "no-such-session" in seen["unknownSession"]["message"]
    assert seen["unknownMethod"]["code"] == -32601
    assert seen["afterErrors"]["stopReason"] == "end_turn"
    assert seen["firstExit"] == 0 and seen["secondExit"] == 0

    loaded = seen["loadUpdates"]
    users = "".join(u["content"]["text"] for u in loaded if u["sessionUpdate"] == "user_message_chunk")
    assert "fix the typo" in users and "run the slow thing" in users and "still there?" in users
    calls = {u["toolCallId"]: u for u in loaded if u["sessionUpdate"] == "tool_call"}
    assert calls["edit1"]["kind"] == "edit" and calls["slow"]["kind"] == "execute"
