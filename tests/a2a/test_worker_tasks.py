"""How the worker reads platform tasks (spec §11.5) and spaces its reconnects: pure functions, no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from codetether.a2a.worker.settings import build_settings
from codetether.a2a.worker.tasks import parse_task, task_id_of, translate_model
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
                       "workspace": str(other)}, spaces, "safe")
    assert (spec.id, spec.title, spec.prompt, spec.model, spec.agent) == ("t", "Untitled", "do it", "a/b", "explore")
    assert spec.workspace == tmp_path and spec.problem is None  # `workspace` outside `task` is not the task's
    spec = parse_task({"id": "t", "title": "T", "prompt": "p", "model_ref": "x/y", "model": "ignored",
                       "metadata": {"workspace": str(other)}}, spaces, "safe", default_model="d/m")
    assert (spec.model, spec.workspace, spec.prompt) == ("x/y", other, "p")
    assert parse_task({"id": "t", "title": "only a title"}, spaces, "safe", "d/m").prompt == "only a title"
    assert parse_task({"id": "t", "prompt": "p"}, spaces, "safe", "d/m").model == "d/m"


def test_problems_and_policies(tmp_path: Path):
    spaces = [tmp_path]
    assert "no prompt" in parse_task({"id": "t"}, spaces, "safe").problem
    assert "swarm" in parse_task({"id": "t", "prompt": "p", "agent_type": "parallel"}, spaces, "safe").problem
    assert "unknown agent_type 'poet'" in parse_task({"id": "t", "prompt": "p", "agent": "poet"}, spaces, "safe").problem
    assert "not registered" in parse_task({"id": "t", "prompt": "p", "workspace": "/elsewhere"}, spaces, "all").problem
    # A platform codebase id (not a path) runs in the default workspace.
    spec = parse_task({"id": "t", "prompt": "p", "codebase": "cb_123"}, spaces, "safe")
    assert spec.workspace == tmp_path and spec.problem is None
    assert parse_task({"id": "t", "prompt": "p"}, spaces, "none").agent == "plan"
    assert parse_task({"id": "t", "prompt": "p", "agent": "explore"}, spaces, "none").agent == "explore"


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
