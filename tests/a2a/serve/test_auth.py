"""Bearer auth on `serve`: every JSON-RPC method needs the token, the card stays public, no token beyond loopback."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.a2a.serve.conftest import MODEL, start_serve, stop
from tests.harness.llm_server import Reply

TOKEN = "s3cret-token-0123456789abcdef"
METHODS = ["SendMessage", "SendStreamingMessage", "GetTask", "ListTasks", "CancelTask", "SubscribeToTask",
           "CreateTaskPushNotificationConfig", "GetTaskPushNotificationConfig", "ListTaskPushNotificationConfigs",
           "DeleteTaskPushNotificationConfig", "GetExtendedAgentCard",
           "message/send", "message/stream", "tasks/get", "tasks/cancel", "tasks/resubscribe"]


@pytest.fixture
def guarded(a2a_env, workspace, tmp_path):
    s = start_serve({**a2a_env, "CODETETHER_AUTH_TOKEN": TOKEN}, workspace, tmp_path / "serve.log", "--model", MODEL)
    yield s
    stop(s)


def _rpc(url: str, method: str, headers: dict[str, str]) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"id": "nope"}}
    return httpx.post(url, json=body, headers={"A2A-Version": "1.0", **headers}, timeout=10)


@pytest.mark.parametrize("path", ["/", "/a2a"])
def test_every_method_needs_the_token(guarded, path):
    for method in METHODS:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN},
                        {"Authorization": f"Bearer {TOKEN}x"}):
            r = _rpc(guarded.url + path, method, headers)
            assert r.status_code == 401, (method, headers, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer realm=")
            assert TOKEN not in r.text


def test_the_card_stays_public_and_declares_bearer(guarded):
    for path in ("/.well-known/agent-card.json", "/.well-known/agent.json", "/a2a/.well-known/agent.json"):
        r = httpx.get(guarded.url + path, timeout=10)
        assert r.status_code == 200, path
        assert r.json()["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "bearer"
    assert httpx.get(guarded.url + "/health", timeout=10).text == "ok"


def test_the_right_token_is_let_through(guarded, llm_server):
    r = _rpc(guarded.url, "GetTask", {"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.json()["error"]["code"] == -32001  # task not found: auth passed
    llm_server.script(Reply(text="authorised answer"))
    env = {**guarded_env(guarded)}
    proc = subprocess.run([sys.executable, "-m", "codetether", "a2a", "send", "--token", TOKEN, guarded.url, "hi"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "authorised answer" in proc.stdout
    denied = subprocess.run([sys.executable, "-m", "codetether", "a2a", "send", guarded.url, "hi"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert denied.returncode == 1 and "401" in denied.stderr and "Traceback" not in denied.stderr


def guarded_env(served) -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "CODETETHER_AUTH_TOKEN"}


def test_refuses_to_serve_beyond_loopback_without_a_token(a2a_env, workspace):
    # Fails before binding, so 0.0.0.0 is never actually served.
    proc = subprocess.run([sys.executable, "-m", "codetether", "serve", "--hostname", "0.0.0.0", "--port", "0"],
                          cwd=workspace, env=a2a_env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "refusing to serve on 0.0.0.0 without an auth token" in proc.stderr
    assert "CODETETHER_AUTH_TOKEN" in proc.stderr and "Traceback" not in proc.stderr


def test_a_short_token_is_refused(a2a_env, workspace):
    proc = subprocess.run([sys.executable, "-m", "codetether", "serve", "--port", "0"], cwd=workspace,
                          env={**a2a_env, "CODETETHER_AUTH_TOKEN": "short"}, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "too short" in proc.stderr
