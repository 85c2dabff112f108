"""`serve` accepts only what a legitimate client sends: what a web page could send is refused before any task."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.harness.llm_server import Reply, ToolCall

SEND = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage",
        "params": {"message": {"role": "ROLE_USER", "messageId": "m1", "parts": [{"text": "run the build"}]}}}
HEADERS = {"A2A-Version": "1.0", "Content-Type": "application/json"}


def _post(served, headers: dict[str, str], body: bytes | None = None) -> httpx.Response:
    return httpx.post(served.url + "/", content=json.dumps(SEND).encode() if body is None else body,
                      headers=headers, timeout=30)


@pytest.mark.parametrize(("headers", "status"), [
    ({**HEADERS, "Host": "evil.example:4096"}, 403),  # DNS rebinding: the page's own name
    ({**HEADERS, "Origin": "https://evil.example"}, 403),  # a cross-site page
    ({**HEADERS, "Origin": "null"}, 403),  # a sandboxed iframe or a file:// page
    ({**HEADERS, "Content-Type": "text/plain"}, 415),  # a CORS "simple request" needs no preflight
    ({**HEADERS, "Content-Type": "application/x-www-form-urlencoded"}, 415),
    ({**HEADERS, "Content-Type": "multipart/form-data; boundary=x"}, 415),
], ids=["foreign-host", "foreign-origin", "null-origin", "text-plain", "form", "multipart"])
def test_what_a_web_page_could_send_is_refused_and_starts_nothing(served, llm_server, workspace, headers, status):
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "echo ran > pwned.txt"})]), Reply(text="ok"))
    r = _post(served, headers)
    assert r.status_code == status, r.text
    time.sleep(0.3)
    assert llm_server.requests == [] and not (workspace / "pwned.txt").exists()


@pytest.mark.parametrize("host", ["evil.example@127.0.0.1:{port}", "127.0.0.1:{port}/evil", "127.0.0.1:{port}?x",
                                  "127.0.0.1:{port}#x", "127.0.0.1:{port}\\evil", "127.0.0.1:x{port}", "127.0.0.1 :{port}",
                                  "[::1:{port}"])
def test_a_host_that_is_not_a_plain_host_and_port_is_refused(served, llm_server, workspace, host):
    """Userinfo, a path or a stray character around a loopback name is not a Host a client sends: refused as a
    foreign one, even though a URL parser finds 127.0.0.1 in it."""
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "echo ran > pwned.txt"})]), Reply(text="ok"))
    port = urlsplit(served.url).port
    r = _post(served, {**HEADERS, "Host": host.format(port=port)})
    foreign = _post(served, {**HEADERS, "Host": "evil.example:4096"}).json()["error"]
    assert r.status_code == 403, r.text
    assert r.json()["error"].split(" is not ")[1] == foreign.split(" is not ")[1]
    time.sleep(0.3)
    assert llm_server.requests == [] and not (workspace / "pwned.txt").exists()


def test_a_local_client_is_still_served(served, llm_server):
    llm_server.script(Reply(text="hello"))
    for host in ("localhost", "127.0.0.1"):
        port = urlsplit(served.url).port
        r = _post(served, {**HEADERS, "Host": f"{host}:{port}", "Origin": f"http://{host}:{port}"})
        assert r.status_code == 200 and "result" in r.json(), r.text
        llm_server.script(Reply(text="hello"))


def test_a_huge_body_gets_413_before_it_is_read(served):
    """The answer comes from the Content-Length alone: the client has sent almost nothing of the 50 MB yet.
    Best of three, so a busy test machine's scheduling is not mistaken for the server reading the body."""
    host, port = urlsplit(served.url).hostname, urlsplit(served.url).port
    times = []
    for _ in range(3):
        with socket.create_connection((host, port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {50 * 1024 * 1024}\r\n\r\n".encode() + b"[" * 1024)
            answer = sock.recv(4096).decode(errors="replace")
            times.append(time.monotonic() - started)
        assert answer.startswith("HTTP/1.1 413"), answer
    assert min(times) < 0.1, times


def test_a_huge_chunked_body_is_cut_off_at_the_limit(a2a_env, workspace, tmp_path):
    from tests.a2a.serve.conftest import start_serve, stop

    s = start_serve(a2a_env, workspace, tmp_path / "serve.log", "--max-body-mb", "1")
    try:
        def chunks():
            for _ in range(64):
                yield b" " * 65536
        r = httpx.post(s.url + "/", content=chunks(), headers=HEADERS, timeout=30)
        assert r.status_code == 413, r.text
    finally:
        stop(s)


@pytest.mark.parametrize("body", [b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "\xff\xfe"}}',
                                  b"[" * 100_000, b'{"a":' * 100_000, b"\xef\xbb\xbf" + json.dumps(SEND).encode(),
                                  b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": ' + b"[" * 70 +
                                  b"]" * 70 + b"}"],
                         ids=["invalid-utf8", "deep-array", "deep-object", "bom", "deep-params"])
def test_bodies_that_do_not_parse_are_32700_and_leave_no_traceback(served, body):
    r = _post(served, HEADERS, body)
    assert r.status_code == 200, r.text
    assert r.json()["error"]["code"] == -32700, r.text
    assert "Traceback" not in served.output


def test_bad_params_are_logged_without_a_traceback(served):
    bad = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {"parts": 42}}}
    r = _post(served, HEADERS, json.dumps(bad).encode())
    assert r.json()["error"]["code"] in (-32602, -32600), r.text
    time.sleep(0.2)
    assert "Traceback" not in served.output
