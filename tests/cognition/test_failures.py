"""Thinker failures are events and the loop keeps running; a disabled thinker gives deterministic thoughts."""

from __future__ import annotations

import asyncio

from codetether.cognition.personas import PersonaRequest
from codetether.cognition.runtime import CognitionRuntime
from tests.cognition.conftest import closed_port, serve_cognition, settings
from tests.harness.llm_server import HttpError, Reply, Stall


def test_thinker_down_gives_failure_events_and_the_loop_keeps_running(workspace):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with serve_cognition(CognitionRuntime(settings(THINKER_BASE_URL=url)), workspace) as s, s.stream() as sse:
        s.post("/v1/cognition/start")
        events = [e for e in sse.events(12) if "thinking" in e["payload"]]
        status = s.get("/v1/cognition/status").json()
        s.post("/v1/cognition/stop")
    assert len(events) >= 8 and status["running"] and status["ticks"] >= len(events)
    assert [e["payload"]["thought_count"] for e in events] == list(range(1, len(events) + 1))
    for e in events:
        p = e["payload"]
        assert p["source"] == "fallback" and p["error"].startswith(f"thinker unreachable at {url}/chat/completions")
        assert "thinker unavailable" in p["thinking"]


def test_timeouts_and_http_errors_are_events_then_the_thinker_recovers(llm_server, workspace):
    llm_server.script(Stall(30), HttpError(503), Reply("back online."))
    llm_server.default_reply = Reply("steady.")
    rt = CognitionRuntime(settings(THINKER_BASE_URL=llm_server.base_url_openai, THINKER_TIMEOUT_MS=1000))
    with serve_cognition(rt, workspace) as s, s.stream() as sse:
        s.post("/v1/cognition/start")
        events = [e["payload"] for e in sse.events(8) if "thinking" in e["payload"]]
        s.post("/v1/cognition/stop")
    assert events[0]["error"].startswith("thinker timed out after 1000 ms") and events[0]["source"] == "fallback"
    assert events[1]["error"].startswith("thinker returned HTTP 503") and events[1]["source"] == "fallback"
    assert events[2]["source"] == "model" and events[2]["thinking"] == "back online." and events[2]["error"] is None
    assert events[3]["thinking"] == "steady."


def test_empty_model_output_falls_back_without_an_error(llm_server, workspace):
    llm_server.default_reply = Reply("")
    with serve_cognition(CognitionRuntime(settings(THINKER_BASE_URL=llm_server.base_url_openai)), workspace) as s, \
            s.stream() as sse:
        s.post("/v1/cognition/start")
        first = sse.events(2)[1]["payload"]
        s.post("/v1/cognition/stop")
    assert first["source"] == "fallback" and first["error"] is None and first["thinking"]


def test_disabled_thinker_thinks_deterministically_without_any_request(llm_server):
    def run() -> list[str]:
        rt = CognitionRuntime(settings(THINKER_ENABLED="false", THINKER_BASE_URL=llm_server.base_url_openai))
        assert rt.thinker is None and rt.status()["thinker"]["enabled"] is False

        async def steps() -> None:
            rt.create_persona(PersonaRequest.parse({"persona_id": "p", "name": "P", "role": "r", "charter": "c"}))
            for _ in range(8):
                await rt.step(rt.registry.personas["p"])
        asyncio.run(steps())
        return [e["payload"]["thinking"] for e in rt.events if "thinking" in e["payload"]]

    first, second = run(), run()
    assert first == second and len(first) == 8 and len(set(first)) > 1
    assert "P (r) observe step 1" in first[0] and "compress step 4" in first[3]
    assert llm_server.requests == []
