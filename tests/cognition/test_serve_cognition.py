"""`codetether serve` as a real process: auto-start, the same bearer auth, quiet with no thinker, env errors."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.a2a.serve.conftest import start_serve, stop
from tests.cognition.conftest import TOKEN, closed_port
from tests.harness.llm_server import Reply

ENDPOINTS = [("POST", "/v1/cognition/start"), ("POST", "/v1/cognition/stop"), ("GET", "/v1/cognition/status"),
             ("GET", "/v1/cognition/stream"), ("GET", "/v1/cognition/snapshots/latest"),
             ("POST", "/v1/swarm/personas"), ("POST", "/v1/swarm/personas/root-thinker/spawn"),
             ("POST", "/v1/swarm/personas/root-thinker/reap"), ("GET", "/v1/swarm/lineage")]


@pytest.fixture
def guarded(isolated_env, workspace, tmp_path, llm_server):
    env = {**isolated_env, "CODETETHER_AUTH_TOKEN": TOKEN, "CODETETHER_COGNITION_LOOP_INTERVAL_MS": "100",
           "CODETETHER_COGNITION_THINKER_BASE_URL": llm_server.base_url_openai}
    llm_server.default_reply = Reply("served thought.")
    s = start_serve(env, workspace, tmp_path / "serve.log")
    yield s
    stop(s)


def test_serve_auto_starts_and_every_cognition_endpoint_needs_the_token(guarded, llm_server):
    llm_server.wait_for_requests(2, timeout=30)  # auto-start: nobody called /start
    for method, path in ENDPOINTS:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789abc"}):
            r = httpx.request(method, guarded.url + path, headers=headers, timeout=10)
            assert r.status_code == 401, (method, path, r.text)
            assert TOKEN not in r.text
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status = httpx.get(guarded.url + "/v1/cognition/status", headers=auth, timeout=10).json()
    assert status["running"] and status["persona_count"] == 1 and status["loop_interval_ms"] == 100
    body = {"name": "Helper", "role": "tester", "charter": "check things", "persona_id": "helper"}
    r = httpx.post(guarded.url + "/v1/swarm/personas/root-thinker/spawn", json=body, headers=auth, timeout=10)
    assert r.status_code == 200 and r.json()["identity"]["depth"] == 1
    with httpx.stream("GET", guarded.url + "/v1/cognition/stream", headers=auth, timeout=30) as resp:
        assert resp.status_code == 200
        assert any(line.startswith("event: cognition") for line in _first_lines(resp, 40))
    assert httpx.post(guarded.url + "/v1/cognition/stop", headers=auth, timeout=10).json()["running"] is False
    assert "Cognition: auto-start every 100 ms" in guarded.output


def test_serve_without_a_reachable_thinker_runs_quietly(isolated_env, workspace, tmp_path):
    env = {**isolated_env, "CODETETHER_COGNITION_LOOP_INTERVAL_MS": "100",
           "CODETETHER_COGNITION_THINKER_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"}
    s = start_serve(env, workspace, tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 30
        while (status := httpx.get(s.url + "/v1/cognition/status", timeout=10).json())["ticks"] < 10:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert status["running"] and status["events_buffered"] >= 10
    finally:
        stop(s)
    lines = [line for line in s.output.splitlines() if line.strip()]
    # the startup lines only: failed thinker calls are events, not log lines
    assert len(lines) == 2 and lines[0].startswith("Cognition: ") and "CodeTether A2A server" in lines[1], lines


@pytest.mark.parametrize(("var", "value", "needle"), [
    ("CODETETHER_COGNITION_LOOP_INTERVAL_MS", "soon", "CODETETHER_COGNITION_LOOP_INTERVAL_MS='soon' is not valid"),
    ("CODETETHER_COGNITION_ENABLED", "maybe", "expected true/false"),
    ("CODETETHER_COGNITION_THINKER_BACKEND", "gpt", "expected openai_compat, or candle"),
])
def test_a_bad_cognition_variable_stops_serve_with_a_clear_error(isolated_env, workspace, var, value, needle):
    proc = subprocess.run([sys.executable, "-m", "codetether", "serve", "--port", "0"], cwd=workspace,
                          env={**isolated_env, var: value}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def _first_lines(resp: httpx.Response, n: int) -> list[str]:
    out = []
    for line in resp.iter_lines():
        out.append(line)
        if len(out) >= n or line.startswith("event: cognition"):
            break
    return out
