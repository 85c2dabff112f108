"""Raw bytes on stdin, as a broken or hostile client sends them: every bad message gets a JSON-RPC error, stdout
holds protocol messages only, and the agent goes on serving."""

from __future__ import annotations

import json
import subprocess

from tests.acp_agent.conftest import AGENT
from tests.harness.llm_server import Reply


class Wire:
    """`codetether acp` with line-level access to its stdin and stdout."""

    def __init__(self, env, cwd, stderr):
        self.proc = subprocess.Popen(AGENT, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr)

    def send(self, line: str | bytes | dict) -> None:
        data = json.dumps(line).encode() if isinstance(line, dict) else line.encode() if isinstance(line, str) else line
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, "the agent closed stdout"
        return json.loads(line)  # every stdout line is JSON-RPC: a stray print would fail here

    def answer(self, request_id) -> dict:
        while True:
            message = self.read()
            if message.get("id") == request_id and "method" not in message:
                return message

    def close(self) -> int:
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        code = self.proc.wait(20)
        for line in rest.splitlines():
            json.loads(line)
        return code


def test_malformed_input_gets_protocol_errors_and_the_agent_lives_on(acp_env, llm_server):
    with open(acp_env.stderr, "wb") as log:
        wire = Wire(acp_env.env, acp_env.cwd, log)
        try:
            wire.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}})
            assert wire.answer(1)["result"]["protocolVersion"] == 1

            cases = [
                ("{not json", -32700, None), (b"\xff\xfe{}", -32700, None), ("[" * 100_000, -32700, None),
                ("[]", -32600, None), ('"hello"', -32600, None), ('{"id": 7, "method": "initialize"}', -32600, 7),
                ('{"jsonrpc": "2.0", "id": 8, "method": 42}', -32600, 8),
                ('{"jsonrpc": "2.0", "id": 9, "method": "session/new", "params": [1, 2]}', -32600, 9),
                ('{"jsonrpc": "2.0", "id": {"x": 1}, "method": "initialize"}', -32600, None),
                ('{"jsonrpc": "2.0"}', -32600, None),
            ]
            for line, code, request_id in cases:
                wire.send(line)
                reply = wire.read()
                assert reply["error"]["code"] == code, (line[:40], reply)
                assert reply["id"] == request_id
                assert reply["error"]["data"]["details"]

            wire.send({"jsonrpc": "2.0", "id": 10, "method": "no/such_method", "params": {}})
            assert wire.answer(10)["error"]["code"] == -32601
            wire.send({"jsonrpc": "2.0", "id": 11, "method": "session/new", "params": {"cwd": 5}})
            assert wire.answer(11)["error"]["code"] == -32602
            wire.send({"jsonrpc": "2.0", "id": 12, "method": "session/new", "params": {"cwd": "relative/dir",
                                                                                        "mcpServers": []}})
            bad_cwd = wire.answer(12)["error"]
            assert bad_cwd["code"] == -32602 and "absolute path" in bad_cwd["message"]
            wire.send({"jsonrpc": "2.0", "id": 13, "method": "session/prompt",
                       "params": {"sessionId": "nope", "prompt": [{"type": "text", "text": "hi"}]}})
            unknown = wire.answer(13)["error"]
            assert unknown["code"] == -32602 and "no open session 'nope'" in unknown["message"]
            wire.send({"jsonrpc": "2.0", "id": 14, "method": "session/load",
                       "params": {"sessionId": "0000dead-0000-4000-8000-000000000000", "cwd": str(acp_env.cwd),
                                  "mcpServers": []}})
            assert "no session" in wire.answer(14)["error"]["message"]
            wire.send({"jsonrpc": "2.0", "method": "session/cancel", "params": {"sessionId": "nope"}})

            # after all that, the agent still does its job
            llm_server.script(Reply(text="All good."))
            wire.send({"jsonrpc": "2.0", "id": 20, "method": "session/new",
                       "params": {"cwd": str(acp_env.cwd), "mcpServers": []}})
            sid = wire.answer(20)["result"]["sessionId"]
            wire.send({"jsonrpc": "2.0", "id": 21, "method": "session/prompt",
                       "params": {"sessionId": sid, "prompt": [{"type": "text", "text": "hi"}]}})
            assert wire.answer(21)["result"]["stopReason"] == "end_turn"
            wire.send({"jsonrpc": "2.0", "id": 22, "method": "session/prompt",
                       "params": {"sessionId": sid, "prompt": [{"type": "audio", "data": "AAAA",
                                                                "mimeType": "audio/wav"}]}})
            assert "audio" in wire.answer(22)["error"]["message"]
        finally:
            code = wire.close()
    assert code == 0
    assert "Traceback" not in acp_env.stderr.read_text()


def test_a_broken_config_is_one_clear_line_before_any_protocol(acp_env):
    acp_env.write_config("[permission\n")
    proc = subprocess.run(AGENT, cwd=acp_env.cwd, env=acp_env.env, input="", capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "is not valid TOML" in proc.stderr and "Traceback" not in proc.stderr


def test_requests_from_a_file_are_answered_and_dev_null_ends_cleanly(acp_env, tmp_path):
    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}\n'
                        "not json\n")
    out = tmp_path / "out.jsonl"
    with open(requests, "rb") as stdin, open(out, "wb") as stdout:
        code = subprocess.run(AGENT, cwd=acp_env.cwd, env=acp_env.env, stdin=stdin, stdout=stdout,
                              stderr=subprocess.PIPE, timeout=60).returncode
    answers = {a["id"]: a for a in map(json.loads, out.read_text().splitlines())}
    assert code == 0
    assert answers[1]["result"]["agentCapabilities"]["loadSession"] is True
    assert answers[None]["error"]["code"] == -32700
    with open("/dev/null", "rb") as stdin:
        done = subprocess.run(AGENT, cwd=acp_env.cwd, env=acp_env.env, stdin=stdin, capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == b"" and b"Traceback" not in done.stderr
