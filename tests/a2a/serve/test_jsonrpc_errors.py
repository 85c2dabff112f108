"""Malformed JSON-RPC gets the spec's error codes with HTTP 200/4xx, never a 500."""

from __future__ import annotations

import httpx
import pytest

HEADERS = {"A2A-Version": "1.0", "Content-Type": "application/json"}
CASES = [
    ("not json", b"{this is not json", -32700),
    ("truncated", b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask"', -32700),
    ("array body", b"[]", -32600),
    ("string body", b'"hello"', -32600),
    ("no method", b'{"jsonrpc": "2.0", "id": 1}', -32600),
    ("unknown method", b'{"jsonrpc": "2.0", "id": 1, "method": "DoSomething", "params": {}}', -32601),
    ("bad params", b'{"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": 42}}', -32602),
    ("params not object", b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": "x"}', -32600),  # not a structured value
    ("unknown task", b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "missing"}}', -32001),
    ("0.3 unknown method", b'{"jsonrpc": "2.0", "id": 1, "method": "tasks/explode", "params": {}}', -32601),
]


@pytest.mark.parametrize(("name", "body", "code"), CASES, ids=[c[0] for c in CASES])
def test_malformed_requests_get_json_rpc_errors(served, name, body, code):
    headers = HEADERS if not name.startswith("0.3") else {"Content-Type": "application/json"}
    r = httpx.post(served.url + "/", content=body, headers=headers, timeout=10)
    assert r.status_code < 500, r.text
    assert r.json()["error"]["code"] == code, r.text
    assert r.json()["jsonrpc"] == "2.0"


def test_the_0_3_methods_work_without_a_version_header(served):
    body = {"jsonrpc": "2.0", "id": "a", "method": "tasks/get", "params": {"id": "missing"}}
    r = httpx.post(served.url + "/a2a", json=body, timeout=10)
    assert r.status_code == 200 and r.json()["error"]["code"] == -32001
