"""Swarm pieces in-process: plan validation and stages, config, limiter, result store, cache, collapse, path locks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from codetether.config.swarm import SwarmConfig, swarm_config
from codetether.errors import ConfigError
from codetether.provider.model import CompletionResponse, Message, Usage
from codetether.swarm.cache import ResultCache
from codetether.swarm.collapse import CollapseController, Observation
from codetether.swarm.decompose import extract_json
from codetether.swarm.limiter import SharedLimiter
from codetether.swarm.pathlocks import PathLocks
from codetether.swarm.plan import PlanError, plan_from_data
from codetether.swarm.store import CURRENT, ResultStore, ShareBinding
from codetether.tool.base import ToolContext
from codetether.tool.registry import load_tool


def _sub(sid: str, *deps: str) -> dict:
    return {"id": sid, "name": sid.upper(), "instruction": f"do {sid}", "dependencies": list(deps)}


def test_stages_by_dependency_depth_and_critical_path():
    plan = plan_from_data({"subtasks": [_sub("a"), _sub("b"), _sub("c", "a"), _sub("d", "C", "b")]}, 10)
    assert {s.id: s.stage for s in plan.subtasks} == {"a": 0, "b": 0, "c": 1, "d": 2}
    assert plan.stage_count == 3 and plan.critical_path() == ["a", "c", "d"]
    assert plan.notes == []


def test_graph_problems_are_repaired_and_noted():
    plan = plan_from_data({"subtasks": [_sub("a", "c"), _sub("b", "a", "b", "ghost"), _sub("c", "b")]}, 10)
    notes = " ".join(plan.notes)
    assert "itself" in notes and "'ghost'" in notes and "cycle" in notes
    assert plan.stage_count == 3  # the three-cycle became a chain


@pytest.mark.parametrize(("data", "problem"), [
    ({"subtasks": []}, "empty"),
    ({"tasks": []}, '"subtasks" array'),
    ({"subtasks": [_sub("a"), _sub("b"), _sub("c")]}, "at most 2"),
    ({"subtasks": [{"name": "x"}]}, '"instruction"'),
])
def test_structural_problems_raise(data, problem):
    with pytest.raises(PlanError, match=problem):
        plan_from_data(data, 2)


def test_extract_json_prefers_the_fenced_block():
    assert extract_json('Sure!\n```json\n{"subtasks": [1]}\n```\nbye {x}') == {"subtasks": [1]}
    assert extract_json('noise {"a": {"b": 1}} trailing') == {"a": {"b": 1}}
    with pytest.raises(PlanError, match="not valid JSON"):
        extract_json("{nope")


def test_config_defaults_from_the_seed_and_validation():
    cfg = swarm_config({})
    assert (cfg.max_steps_per_subagent, cfg.subagent_timeout_secs, cfg.max_concurrent_requests, cfg.max_retries,
            cfg.base_delay_ms, cfg.max_delay_ms, cfg.max_total_steps) == (100, 600, 3, 3, 500, 30_000, 1500)
    assert swarm_config({"swarm": {"collapse_sample_secs": 2}}).collapse_sample_secs == 2.0
    with pytest.raises(ConfigError, match="'swarm.max_subagents' must be at most 100"):
        swarm_config({"swarm": {"max_subagents": 101}})
    with pytest.raises(ConfigError, match="'swarm.worktree_enabled' must be true or false"):
        swarm_config({"swarm": {"worktree_enabled": "yes"}})
    with pytest.raises(ConfigError, match="execution_mode"):
        SwarmConfig().with_overrides(execution_mode="cloud")


class _CountingModel:
    """An in-process fake model: records how many requests are in flight at once."""

    def __init__(self) -> None:
        self.active = self.peak = 0

    async def complete(self, request, on_delta=None):
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.01)
        self.active -= 1
        return CompletionResponse(Message.text("assistant", "ok"), Usage())


def test_limiter_caps_concurrency_and_counts():
    async def go() -> tuple[int, SharedLimiter]:
        limiter, inner = SharedLimiter(2, 0), _CountingModel()
        model = limiter.wrap(inner)
        await asyncio.gather(*(model.complete(None) for _ in range(10)))
        return inner.peak, limiter

    peak, limiter = asyncio.run(go())
    assert peak == 2 and limiter.stats.total_requests == 10 and limiter.stats.current_rpm == 10


def test_limiter_backs_off_on_429_and_recovers():
    async def go() -> SharedLimiter:
        limiter = SharedLimiter(3, 0, max_delay_ms=1000)
        await limiter._observe(httpx.Response(429, headers={"Retry-After": "0"}))
        assert limiter.delay > 0 and limiter.stats.rate_limit_hits == 1 and limiter.stats.retry_count == 1
        raised = limiter.delay
        await limiter._observe(httpx.Response(200, headers={"x-ratelimit-remaining": "90", "x-ratelimit-limit": "100"}))
        assert limiter.delay < raised  # plenty of room left: the spacing decays toward the configured value
        await limiter._observe(httpx.Response(200, headers={"x-ratelimit-remaining": "1", "x-ratelimit-limit": "100"}))
        assert limiter.stats.last_rate_limit_info["remaining"] == 1.0
        return limiter

    limiter = asyncio.run(go())
    assert limiter.delay > 0.05


def test_swarm_share_tool(tmp_path: Path):
    tool, store = load_tool("swarm_share"), ResultStore()
    ctx = ToolContext(root=tmp_path)

    async def go() -> list:
        outside = await tool.execute({"action": "list"}, ctx)
        CURRENT.set(ShareBinding(store, "agent-a"))
        out = [outside]
        out.append(await tool.execute({"action": "publish", "key": "api", "value": {"routes": 3}, "tags": ["x"]}, ctx))
        out.append(await tool.execute({"action": "get", "key": "api"}, ctx))
        out.append(await tool.execute({"action": "query_tags", "tags": ["x"]}, ctx))
        out.append(await tool.execute({"action": "get", "key": "missing"}, ctx))
        out.append(await tool.execute({"action": "publish", "key": "k"}, ctx))
        return out

    outside, published, got, tagged, missing, no_value = asyncio.run(go())
    assert not outside.success and "only inside a swarm" in outside.output
    assert published.success and '"routes": 3' in got.output and '"producer": "agent-a"' in got.output
    assert '"key": "api"' in tagged.output
    assert not missing.success and "api" in missing.output
    assert not no_value.success and "value" in no_value.output


def test_result_cache_hits_misses_and_ttl(tmp_path: Path):
    cache = ResultCache(3600, tmp_path)
    key = cache.key("do x", "openai/m", "git:abc", "")
    assert cache.get(key) is None
    cache.put(key, {"result": "done"})
    assert cache.get(key) == {"result": "done"}
    assert cache.key("do x", "openai/other", "git:abc", "") != key
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    assert ResultCache(-1, tmp_path).get(key) is None  # expired


def test_collapse_controller_prunes_losers_but_never_everyone():
    controller = CollapseController()
    good = Observation("good", True, {"a.py"}, 50)
    bad = Observation("bad", False, {"a.py", "b.py"}, 0)
    first = controller.tick([good, bad])
    assert [k.subtask_id for k in first] == ["bad"] and controller.promoted == "good"
    lonely = controller.tick([Observation("bad", False, set(), 0)])
    assert lonely == []  # the only branch left is spared


def test_path_locks_serialise_writes_to_one_file(tmp_path: Path):
    locks, order = PathLocks(), []

    async def writer(name: str) -> None:
        async with locks.hold([tmp_path / "f.txt"]):
            order.append(f"{name}-start")
            await asyncio.sleep(0.01)
            order.append(f"{name}-end")

    async def go() -> None:
        await asyncio.gather(writer("a"), writer("b"))

    asyncio.run(go())
    assert order in (["a-start", "a-end", "b-start", "b-end"], ["b-start", "b-end", "a-start", "a-end"])
    record = locks.recorder("one")
    record(tmp_path / "f.txt")
    locks.recorder("two")(tmp_path / "f.txt")
    assert locks.shared_writes() == {tmp_path / "f.txt": ["one", "two"]}
