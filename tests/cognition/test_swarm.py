"""Persona swarm endpoints: spawn limits with reasons, reap with cascade, lineage after every change."""

from __future__ import annotations

import pytest

from codetether.cognition.runtime import CognitionRuntime
from tests.cognition.conftest import serve_cognition, settings


def persona(pid: str, **extra) -> dict:
    return {"persona_id": pid, "name": pid.upper(), "role": "worker", "charter": f"charter of {pid}", **extra}


@pytest.fixture
def swarm(workspace):
    with serve_cognition(CognitionRuntime(settings(THINKER_ENABLED="false")), workspace) as s:
        yield s


def lineage(s) -> dict[str, dict]:
    data = s.get("/v1/swarm/lineage").json()
    nodes = {n["persona_id"]: n for n in data["nodes"]}
    assert data["roots"] == sorted(pid for pid, n in nodes.items() if n["parent_id"] is None)
    assert data["total_edges"] == sum(1 for n in nodes.values() if n["parent_id"] is not None)
    return nodes


def test_spawn_depth_limit_gives_400_with_the_reason(swarm):
    r = swarm.post("/v1/swarm/personas", persona("d0", swarm_id="swarm-x"))
    assert r.status_code == 200
    root = r.json()
    assert root["identity"]["depth"] == 0 and root["status"] == "active"
    assert root["policy"]["max_spawn_depth"] == 4 and root["policy"]["max_branching_factor"] == 4
    for depth in range(1, 5):
        r = swarm.post(f"/v1/swarm/personas/d{depth - 1}/spawn", persona(f"d{depth}"))
        assert r.status_code == 200, r.text
        child = r.json()["identity"]
        assert child["depth"] == depth and child["parent_id"] == f"d{depth - 1}"
        assert child["swarm_id"] == "swarm-x"  # inherited
        assert lineage(swarm)[f"d{depth - 1}"]["children"] == [f"d{depth}"]
    r = swarm.post("/v1/swarm/personas/d4/spawn", persona("d5"))
    assert r.status_code == 400 and r.text == "Spawn depth 5 exceeds limit 4"
    assert "d5" not in lineage(swarm)


def test_branching_limit_and_reaped_children_free_a_slot(swarm):
    swarm.post("/v1/swarm/personas", persona("hub"))
    for i in range(4):
        assert swarm.post("/v1/swarm/personas/hub/spawn", persona(f"k{i}")).status_code == 200
    r = swarm.post("/v1/swarm/personas/hub/spawn", persona("k4"))
    assert r.status_code == 400 and r.text == "Parent hub reached branching limit 4"
    assert swarm.post("/v1/swarm/personas/k0/reap").json() == {"reaped_ids": ["k0"], "count": 1}
    assert lineage(swarm)["k0"]["status"] == "reaped"
    assert swarm.post("/v1/swarm/personas/hub/spawn", persona("k4")).status_code == 200
    assert lineage(swarm)["hub"]["children"] == ["k0", "k1", "k2", "k3", "k4"]


def test_policy_in_the_request_sets_tighter_limits(swarm):
    r = swarm.post("/v1/swarm/personas", persona("strict", policy={"max_spawn_depth": 1, "max_branching_factor": 1}))
    assert r.status_code == 200
    assert swarm.post("/v1/swarm/personas/strict/spawn", persona("s1")).status_code == 200
    r = swarm.post("/v1/swarm/personas/strict/spawn", persona("s2"))
    assert r.status_code == 400 and r.text == "Parent strict reached branching limit 1"
    r = swarm.post("/v1/swarm/personas/s1/spawn", persona("s11"))  # s1 inherited the parent's policy
    assert r.status_code == 400 and r.text == "Spawn depth 2 exceeds limit 1"
    r = swarm.post("/v1/swarm/personas", persona("bad", policy={"max_spawn_depth": "deep"}))
    assert r.status_code == 400 and "policy.max_spawn_depth" in r.text


def test_spawn_errors_name_the_problem(swarm):
    r = swarm.post("/v1/swarm/personas/ghost/spawn", persona("x"))
    assert r.status_code == 404 and r.text == "Parent persona not found: ghost"
    swarm.post("/v1/swarm/personas", persona("p"))
    r = swarm.post("/v1/swarm/personas", persona("p"))
    assert r.status_code == 409 and r.text == "Persona id already exists: p"
    swarm.post("/v1/swarm/personas/p/reap")
    r = swarm.post("/v1/swarm/personas/p/spawn", persona("q"))
    assert r.status_code == 409 and r.text == "Parent persona p is reaped"
    r = swarm.post("/v1/swarm/personas", {"name": "n", "role": "r"})
    assert r.status_code == 400 and r.text == "field 'charter' is required: a non-empty string"
    r = swarm.post("/v1/swarm/personas/p/spawn", persona("z", parent_id="p"))
    assert r.status_code == 400 and "'parent_id' is not accepted" in r.text
    r = httpx_post_raw(swarm, "/v1/swarm/personas", b"{not json")
    assert r.status_code == 400 and "not valid JSON" in r.text
    r = swarm.post("/v1/swarm/personas/nobody/reap")
    assert r.status_code == 404 and r.text == "Persona not found: nobody"
    r = swarm.post("/v1/swarm/personas", persona("auto-id") | {"persona_id": None})
    assert r.status_code == 200 and len(r.json()["identity"]["id"]) == 36  # a uuid4


def test_reap_with_cascade_removes_the_subtree(swarm):
    swarm.post("/v1/swarm/personas", persona("r"))
    for parent, child in [("r", "a"), ("r", "b"), ("a", "a1"), ("a", "a2"), ("a1", "a11")]:
        assert swarm.post(f"/v1/swarm/personas/{parent}/spawn", persona(child)).status_code == 200
    nodes = lineage(swarm)
    assert nodes["r"]["children"] == ["a", "b"] and nodes["a"]["children"] == ["a1", "a2"]
    assert nodes["a11"]["depth"] == 3
    r = swarm.post("/v1/swarm/personas/a/reap", {"cascade": True, "reason": "pruned"})
    assert r.json() == {"reaped_ids": ["a", "a1", "a2", "a11"], "count": 4}  # breadth-first
    nodes = lineage(swarm)
    assert {pid for pid, n in nodes.items() if n["status"] == "reaped"} == {"a", "a1", "a2", "a11"}
    assert nodes["r"]["status"] == "active" and nodes["b"]["status"] == "active"
    status = swarm.get("/v1/cognition/status").json()
    assert status["persona_count"] == 6 and status["active_persona_count"] == 2
    # without cascade only the one persona goes, its children stay active
    assert swarm.post("/v1/swarm/personas/r/reap", {"cascade": False}).json()["reaped_ids"] == ["r"]
    assert lineage(swarm)["b"]["status"] == "active"
    events = list(swarm.runtime.events)
    reaped = [e for e in events if e["event_type"] == "persona_reaped"]
    assert [e["persona_id"] for e in reaped] == ["a", "a1", "a2", "a11", "r"]
    assert reaped[0]["payload"] == {"reason": "pruned", "cascade": True}
    assert reaped[-1]["payload"] == {"reason": "manual_reap", "cascade": False}
    assert sum(e["event_type"] == "persona_spawned" for e in events) == 6
    r = swarm.post("/v1/swarm/personas/r/reap", {"cascade": "yes"})
    assert r.status_code == 400 and "'cascade'" in r.text


def httpx_post_raw(s, path: str, raw: bytes):
    import httpx

    return httpx.post(s.url + path, content=raw, headers={"Content-Type": "application/json"}, timeout=30)
