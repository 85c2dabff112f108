"""The loop against the scripted OpenAI-compatible thinker: prompts, SSE order, snapshots, stop."""

from __future__ import annotations

import time

from codetether.cognition.runtime import CognitionRuntime
from tests.cognition.conftest import INTERVAL_MS, serve_cognition, settings
from tests.harness.llm_server import Reply

CYCLE = ["observe", "reflect", "test", "compress"]


def _runtime(llm_server, **env) -> CognitionRuntime:
    return CognitionRuntime(settings(THINKER_BASE_URL=llm_server.base_url_openai, THINKER_MODEL="scripted-model",
                                     **env))


def test_start_seeds_root_thinker_and_prompts_the_thinker_each_tick(llm_server, workspace):
    llm_server.default_reply = Reply("Signal: the build is green. Uncertainty: flaky tests.")
    with serve_cognition(_runtime(llm_server, THINKER_TOP_P="0.9", THINKER_API_KEY="thinker-key"),
                         workspace) as s:
        before = time.monotonic()
        status = s.post("/v1/cognition/start").json()
        assert status["running"] and status["enabled"] and status["persona_count"] == 1
        assert status["loop_interval_ms"] == INTERVAL_MS
        reqs = llm_server.wait_for_requests(6, timeout=30)
        elapsed = time.monotonic() - before
        # The 6th tick cannot come before 5 whole intervals have passed: the loop really waits between ticks.
        assert elapsed >= 5 * INTERVAL_MS / 1000
        for n, req in enumerate(reqs[:6], start=1):
            assert req.path == "/v1/chat/completions" and req.method == "POST"
            assert req.headers["authorization"] == "Bearer thinker-key"
            body = req.body
            assert body["model"] == "scripted-model" and body["stream"] is False
            assert body["temperature"] == 0.2 and body["top_p"] == 0.9 and body["max_tokens"] == 256
            system, user = body["messages"]
            assert system["role"] == "system" and "internal cognition engine" in system["content"]
            assert user["role"] == "user"
            assert f"phase: {CYCLE[(n - 1) % 4]}\npersona_id: root-thinker\npersona_name: root-thinker\n" \
                   "role: orchestrator\n" in user["content"]
            assert f"thought_count: {n}\n" in user["content"]
        assert "recent_context:\nnone" not in reqs[1].body["messages"][1]["content"]  # sees its first thought
        lineage = s.get("/v1/swarm/lineage").json()
        assert [n["persona_id"] for n in lineage["nodes"]] == ["root-thinker"]
        s.post("/v1/cognition/stop")


def test_sse_stream_delivers_thought_events_in_order(llm_server, workspace):
    llm_server.script(*(Reply(f"thought number {i}. It holds.") for i in range(1, 9)))
    llm_server.default_reply = Reply("later thought.")
    with serve_cognition(_runtime(llm_server), workspace) as s, s.stream() as sse:
        s.post("/v1/cognition/start")
        events = sse.events(8)
        s.post("/v1/cognition/stop")
    kinds = [e["event_type"] for e in events]
    assert kinds == ["persona_spawned", "thought_generated", "hypothesis_raised", "proposal_created",
                     "check_requested", "check_result", "snapshot_compressed", "thought_generated"]
    thoughts = [e for e in events if "thinking" in e["payload"]]
    assert [e["payload"]["thought_count"] for e in thoughts] == [1, 2, 3, 4, 5]
    assert [e["payload"]["thinking"] for e in thoughts] == [f"thought number {i}. It holds." for i in range(1, 6)]
    assert [e["payload"]["phase"] for e in thoughts] == CYCLE + ["observe"]
    for e in thoughts:
        p = e["payload"]
        assert e["persona_id"] == "root-thinker" and e["swarm_id"] == "swarm-core"
        assert p["source"] == "model" and p["error"] is None and p["model"] == "scripted-model"
        assert p["usage"]["total_tokens"] > 0 and p["finish_reason"] == "stop"
    assert events[3]["payload"]["title"] == "thought number 2. It holds."
    assert events[5]["payload"]["result_excerpt"] == "thought number 3. It holds."


def test_snapshots_appear_after_a_compress_step(llm_server, workspace):
    llm_server.default_reply = Reply("State: stable. Facts: one! Two? Three.")
    with serve_cognition(_runtime(llm_server), workspace) as s:
        missing = s.get("/v1/cognition/snapshots/latest")
        assert missing.status_code == 404 and missing.text == "No snapshots available"
        s.post("/v1/cognition/start")
        llm_server.wait_for_requests(4, timeout=30)
        deadline = time.monotonic() + 30
        while (r := s.get("/v1/cognition/snapshots/latest")).status_code == 404:
            assert time.monotonic() < deadline, "no snapshot after a compress step"
            time.sleep(0.05)
        snap = r.json()
        assert snap["persona_scope"] == ["root-thinker"] and snap["swarm_id"] == "swarm-core"
        assert snap["summary"] == "State: stable. Facts: one! Two? Three."
        assert snap["warm_fact_count"] == 4 and snap["cold_snapshot_count"] == 1 and snap["hot_event_count"] > 0
        assert snap["metadata"]["source"] == "model" and snap["metadata"]["phase"] == "compress"
        status = s.get("/v1/cognition/status").json()
        assert status["snapshots_buffered"] >= 1 and status["buffers"]["snapshots"]["capacity"] == 128
        assert status["buffers"]["events"]["capacity"] == 2000
        s.post("/v1/cognition/stop")


def test_stop_halts_thinker_requests(llm_server, workspace):
    llm_server.default_reply = Reply("ok.")
    with serve_cognition(_runtime(llm_server), workspace) as s, s.stream() as sse:
        s.post("/v1/cognition/start")
        llm_server.wait_for_requests(3, timeout=30)
        stopped = s.post("/v1/cognition/stop", {"reason": "maintenance"}).json()
        assert stopped["running"] is False
        seen = len(llm_server.requests)
        time.sleep(6 * INTERVAL_MS / 1000)
        assert len(llm_server.requests) == seen, "the thinker was called after stop returned"
        assert s.get("/v1/cognition/status").json()["running"] is False
        last = None
        for _kind, data in sse.frames():
            if '"stopped": true' in data:
                last = data
                break
        assert last is not None and '"reason": "maintenance"' in last
        # start again resumes the same persona (it is not re-seeded)
        again = s.post("/v1/cognition/start").json()
        assert again["running"] and again["persona_count"] == 1
        llm_server.wait_for_requests(seen + 1, timeout=30)
        s.post("/v1/cognition/stop")


def test_seed_persona_replaces_the_default_root(llm_server, workspace):
    llm_server.default_reply = Reply("ok.")
    seed = {"persona_id": "scout", "name": "Scout", "role": "explorer", "charter": "Map the repo."}
    with serve_cognition(_runtime(llm_server), workspace) as s:
        status = s.post("/v1/cognition/start", {"seed_persona": seed, "loop_interval_ms": 150}).json()
        assert status["loop_interval_ms"] == 150
        req = llm_server.wait_for_requests(1, timeout=30)[0]
        assert "persona_id: scout\npersona_name: Scout\nrole: explorer\ncharter: Map the repo.\n" \
            in req.body["messages"][1]["content"]
        assert s.get("/v1/swarm/lineage").json()["roots"] == ["scout"]
        s.post("/v1/cognition/stop")
        bad = s.post("/v1/cognition/start", {"loop_interval_ms": "fast"})
        assert bad.status_code == 400 and "loop_interval_ms" in bad.text
        bad = s.post("/v1/cognition/start", {"seed_persona": {"name": "x"}})
        assert bad.status_code == 400 and "'role'" in bad.text
