"""How the worker reads platform tasks (spec §11.5) and spaces its reconnects: pure functions, no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from codetether.a2a.worker.settings import build_settings
from codetether.a2a.worker.tasks import SwarmOptions, parse_task, task_id_of, translate_model
from codetether.a2a.worker.tiers import Routing, routing, tier_model
from codetether.a2a.worker.worker import backoff
from codetether.errors import CodetetherError


@pytest.mark.parametrize("event, expected", [
    ({"task": {"id": "a"}, "id": "b"}, "a"), ({"id": 7}, "7"), ({"event": "connected", "worker_id": "w"}, None),
    ({"timestamp": 1.0}, None), ({"task": {"title": "x"}, "id": "c"}, "c"),
])
def test_task_id_of(event, expected):
    assert task_id_of(event) == expected


@pytest.mark.parametrize("raw, expected", [
    ("anthropic:claude-x", "anthropic/claude-x"), ("bedrock/amazon.nova-micro-v1:0", "bedrock/amazon.nova-micro-v1:0"),
    ("openrouter/stepfun/step-3.5-flash:free", "openrouter/stepfun/step-3.5-flash:free"), ("gpt-4o", "gpt-4o"),
])
def test_model_ref_translation(raw, expected):
    assert translate_model(raw) == expected


def test_fields_come_from_the_task_then_metadata_routing(tmp_path: Path):
    other = tmp_path / "other"
    other.mkdir()
    spaces = [tmp_path, other]
    spec = parse_task({"task": {"id": "t", "description": "do it", "metadata": {"routing": {"model": "a:b"},
                                                                                 "agent": "Explore"}},
                       "workspace": str(other)}, spaces)
    assert (spec.id, spec.title, spec.prompt, spec.model, spec.agent) == ("t", "Untitled", "do it", "a/b", "explore")
    assert spec.workspace == tmp_path and spec.problem is None  # `workspace` outside `task` is not the task's
    spec = parse_task({"id": "t", "title": "T", "prompt": "p", "model_ref": "x/y", "model": "ignored",
                       "metadata": {"workspace": str(other)}}, spaces, "d/m")
    assert (spec.model, spec.workspace, spec.prompt, spec.kind) == ("x/y", other, "p", "session")
    assert parse_task({"id": "t", "title": "only a title"}, spaces, "d/m").prompt == "only a title"
    assert parse_task({"id": "t", "prompt": "p"}, spaces, "d/m").model == "d/m"
    assert parse_task({"id": "t", "prompt": "p", "metadata": {"resume_session_id": " s-1 "}},
                      spaces).resume_session_id == "s-1"


def test_problems(tmp_path: Path):
    spaces = [tmp_path]
    assert "no prompt" in parse_task({"id": "t"}, spaces).problem
    assert "unknown agent_type 'poet'" in parse_task({"id": "t", "prompt": "p", "agent": "poet"}, spaces).problem
    assert "not registered" in parse_task({"id": "t", "prompt": "p", "workspace": "/elsewhere"}, spaces).problem
    # A platform codebase id (not a path) runs in the default workspace.
    spec = parse_task({"id": "t", "prompt": "p", "codebase": "cb_123"}, spaces)
    assert spec.workspace == tmp_path and spec.problem is None
    bad = parse_task({"id": "t", "prompt": "p", "agent_type": "swarm", "metadata": {"max_subagents": "many"}}, spaces)
    assert bad.problem == "metadata.max_subagents must be a whole number, got 'many'"
    assert "not valid JSON" in parse_task({"id": "t", "prompt": "p", "agent_type": "ralph",
                                           "metadata": {"prd": "{nope"}}, spaces).problem


def test_task_kinds_and_the_specs_swarm_clamps(tmp_path: Path):
    spaces = [tmp_path]
    for agent_type in ("swarm", "parallel", "Multi-Agent"):
        assert parse_task({"id": "t", "prompt": "p", "agent_type": agent_type}, spaces).kind == "swarm"
    swarm = parse_task({"id": "t", "prompt": "p", "agent_type": "swarm", "metadata": {
        "swarm": {"max_subagents": 500, "strategy": "by_domain", "parallel_enabled": "no"},
        "routing": {"max_steps": "0"}, "timeout": 5}}, spaces).swarm
    assert (swarm.max_subagents, swarm.max_steps, swarm.timeout_secs, swarm.parallel, swarm.strategy) == \
        (100, 1, 30, False, "by_domain")
    assert parse_task({"id": "t", "prompt": "p", "agent_type": "swarm"}, spaces).swarm == SwarmOptions()
    ralph = parse_task({"id": "t", "prompt": "p", "agent_type": "ralph", "metadata": {
        "prd": '{"project": "x"}', "prd_path": "docs/prd.json", "max_iterations": 500}}, spaces)
    assert (ralph.kind, ralph.ralph.prd, ralph.ralph.prd_path, ralph.ralph.max_iterations) == \
        ("ralph", {"project": "x"}, "docs/prd.json", 100)
    rlm = parse_task({"id": "t", "prompt": "q", "agent_type": "rlm", "metadata": {"paths": "a.py, src/*.py"}}, spaces)
    assert (rlm.kind, rlm.rlm.paths) == ("rlm", ["a.py", "src/*.py"])


@pytest.mark.parametrize("metadata, expected", [
    ({"model_tier": "fast"}, "openai/gpt-4o-mini"), ({"tier": "HEAVY"}, "openai/o3"),
    ({"routing": {"complexity": "quick"}}, "openai/gpt-4o-mini"), ({"complexity": "deep"}, "openai/o3"),
    ({"complexity": "medium"}, "openai/gpt-4o"), ({}, "openai/gpt-4o"),
])
def test_tiers_pick_the_tier_model_of_a_provider_the_worker_has(tmp_path: Path, metadata, expected):
    spec = parse_task({"id": "t", "prompt": "p", "metadata": metadata}, [tmp_path], None, ["openai", "novita"])
    assert spec.model == expected


def test_tier_routing_rules(tmp_path: Path):
    assert tier_model("fast", ["anthropic", "google"]) == "google/gemini-2.5-flash"
    assert tier_model("heavy", ["openai", "anthropic"]) == "anthropic/claude-sonnet-4-20250514"
    assert tier_model("balanced", ["zhipuai"]) == "zhipuai/glm-4.7"  # our zai, under the id the worker has
    assert tier_model("fast", ["deepseek"]) == "deepseek/glm-4.7"  # the spec's "other" column
    assert tier_model("fast", []) is None
    assert routing(None, None) == Routing(None, "balanced", False)
    # The worker's --model serves tasks without a tier; a tier beats it; a named model beats both.
    spaces, have = [tmp_path], ["openai"]
    assert parse_task({"id": "t", "prompt": "p"}, spaces, "openai/mine", have).model == "openai/mine"
    assert parse_task({"id": "t", "prompt": "p", "metadata": {"tier": "fast"}}, spaces, "openai/mine",
                      have).model == "openai/gpt-4o-mini"
    assert parse_task({"id": "t", "prompt": "p", "model": "openai/x", "metadata": {"tier": "fast"}}, spaces,
                      None, have).model == "openai/x"
    # A model of a provider the worker has no key for: the tier's model instead, and the task is told.
    spec = parse_task({"id": "t", "prompt": "p", "model": "anthropic:claude-x"}, spaces, None, have)
    assert spec.model == "openai/gpt-4o" and "no key for 'anthropic'" in spec.notes[0]


def test_backoff_grows_with_jitter_and_stays_capped():
    for attempt in range(12):
        step = min(60.0, 1.0 * 2 ** attempt)
        values = {backoff(attempt, 1.0, 60.0) for _ in range(50)}
        assert all(step / 2 <= v <= step for v in values) and len(values) > 1


def test_settings_flags_env_and_validation(tmp_path: Path):
    env = {"CODETETHER_SERVER": "https://p.example/", "CODETETHER_TOKEN": "tok", "CODETETHER_WORKER_NAME": "n",
           "CODETETHER_WORKER_HEARTBEAT_SECS": "2.5"}
    s = build_settings(server=None, token=None, name=None, workspaces=[], codebases=f"{tmp_path}, {tmp_path}",
                       auto_approve="safe", model=None, env=env, cwd=tmp_path)
    assert (s.server, s.token, s.name, s.workspaces, s.heartbeat_secs) == ("https://p.example", "tok", "n",
                                                                            [tmp_path], 2.5)
    assert s.worker_id.startswith("wrk_")
    with pytest.raises(CodetetherError, match="CODETETHER_WORKER_POLL_SECS must be a positive number"):
        build_settings(server="http://x", token=None, name=None, workspaces=[], codebases=None, auto_approve="safe",
                       model=None, env={"CODETETHER_WORKER_POLL_SECS": "0"}, cwd=tmp_path)
    with pytest.raises(CodetetherError, match="not an http"):
        build_settings(server="ftp://x", token=None, name=None, workspaces=[], codebases=None, auto_approve="safe",
                       model=None, env={}, cwd=tmp_path)


def test_settings_fall_back_to_the_configs_a2a_table(tmp_path: Path):
    from codetether.config.load import load

    (tmp_path / "a").mkdir()
    path = tmp_path / "config.toml"
    path.write_text(f'[a2a]\nserver_url = "https://cfg.example/"\nworker_name = "cfg-box"\nauto_approve = "all"\n'
                    f'codebases = ["{tmp_path / "a"}"]\nmax_concurrent = 3\n')
    config = load(path, env={})
    s = build_settings(server=None, token=None, name=None, workspaces=[], codebases=None, auto_approve=None,
                       model=None, env={}, cwd=tmp_path, config=config)
    assert (s.server, s.name, s.auto_approve, s.workspaces, s.max_concurrent) == \
        ("https://cfg.example", "cfg-box", "all", [tmp_path / "a"], 3)
    s = build_settings(server="http://flag.example", token=None, name="flag", workspaces=[str(tmp_path)],
                       codebases=None, auto_approve="none", model=None, max_concurrent=1,
                       env={"CODETETHER_WORKER_NAME": "env"}, cwd=tmp_path, config=config)
    assert (s.server, s.name, s.auto_approve, s.workspaces, s.max_concurrent) == \
        ("http://flag.example", "flag", "none", [tmp_path], 1)
