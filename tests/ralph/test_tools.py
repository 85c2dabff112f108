"""The build agent's prd and ralph tools, driven through `codetether run --agent build`."""

from __future__ import annotations

import json
import time

from codetether.ralph.prd import Prd
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.offers import available_tools

STORY = {"id": "US-001", "title": "Hello", "description": "print hello", "acceptance_criteria": ["prints"]}


def _tool_results(body: dict) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


def test_build_agent_drafts_validates_and_inspects(cli, model, project):
    (project / "broken.json").write_text(json.dumps({"project": "p", "feature": "f", "user_stories": [
        {"id": "X", "title": "x", "description": "", "depends_on": ["X"]}]}))
    model.script(
        Reply(tool_calls=[ToolCall("prd", {"action": "validate", "prd_path": "broken.json"})]),
        Reply(tool_calls=[ToolCall("prd", {"action": "save", "prd_path": "hello.json", "project": "demo",
                                           "feature": "Hello", "stories": [STORY]})]),
        Reply(tool_calls=[ToolCall("ralph", {"action": "status", "prd_path": "hello.json"})]),
        Reply(tool_calls=[ToolCall("prd", {"action": "analyze", "prd_path": "prd.json"})]),
        Reply(text="done"))

    proc = cli("run", "--agent", "build", "-m", "openai/m", "make a PRD")

    assert proc.returncode == 0, proc.stderr
    tools = available_tools(model.requests[0].body)
    assert {"prd", "ralph"} <= tools
    results = _tool_results(model.requests[-1].body)
    assert "invalid PRD" in results[0] and "dependency cycle: X -> X" in results[0]
    assert "saved hello.json: 1 stories" in results[1]
    saved = Prd.load(project / "hello.json")
    assert saved.stories[0].title == "Hello" and saved.quality_checks == [("lint", "ruff check ."),
                                                                         ("test", "pytest -q")]
    assert "# Ralph Status" in results[2] and "US-001: Hello (pending)" in results[2]
    assert "Next story: US-001" in results[3] and "Expected order: US-001 -> US-002 -> US-003" in results[3]


def test_plan_agent_has_no_ralph_tools(cli, model):
    model.script(Reply(text="ok"))
    assert cli("run", "--agent", "plan", "-m", "openai/m", "hi").returncode == 0
    tools = available_tools(model.requests[0].body)
    assert not {"prd", "ralph"} & tools


def test_ralph_tool_starts_a_background_run(cli, model, project):
    (project / "one.json").write_text(json.dumps({
        "project": "calc", "feature": "One", "quality_checks": {"lint": "ruff check ."},
        "user_stories": [{"id": "US-001", "title": "Nothing to do", "description": "already done"}]}))
    child = [Reply(text="Nothing needed.\nSTORY_COMPLETE: US-001")]
    # The background run's agent and this one talk to the same server: route by who is asking.
    model.router = lambda body: child.pop(0) if "Ralph iteration" in json.dumps(body["messages"][1:2]) else None
    model.script(Reply(tool_calls=[ToolCall("ralph", {"action": "run", "prd_path": "one.json", "max_iterations": 2,
                                                      "model": "openai/m"})]),
                 Reply(text="started"))

    proc = cli("run", "--agent", "build", "-m", "openai/m", "run ralph")

    assert proc.returncode == 0, proc.stderr
    assert "started a Ralph run on one.json" in _tool_results(model.requests[1].body)[0]
    start = time.monotonic()
    while time.monotonic() - start < 60:  # a generous bound on waiting, not a speed requirement
        status = json.loads(cli("ralph", "status", "-p", "one.json", "--json").stdout)
        if status["last_run"] and status["last_run"]["status"] != "running" and not status["running_pid"]:
            break
        time.sleep(0.2)
    assert status["last_run"]["status"] == "completed", status
    assert status["progress"] == {"passed": 1, "total": 1} and child == []
