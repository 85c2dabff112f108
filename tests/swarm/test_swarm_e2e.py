"""`codetether swarm` end to end: decomposition, stages, worktrees merged back, the --json SwarmResult shape."""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness.llm_server import Reply, ToolCall
from tests.harness.offers import available_tools
from tests.swarm.conftest import git, plan_json, router, swarm_branches, text_of, worktrees, writes

RESULT_KEYS = {"success", "result", "subtask_results", "stats", "artifacts", "error"}
SUBTASK_KEYS = {"subtask_id", "subagent_id", "success", "result", "steps", "tool_calls", "execution_time_ms", "error",
                "artifacts", "retry_count"}
STATS_KEYS = {"subagents_spawned", "subagents_completed", "subagents_failed", "total_tool_calls",
              "critical_path_length", "execution_time_ms", "sequential_time_estimate_ms", "speedup_factor", "stages",
              "rate_limit_stats", "cache_hits", "cache_misses"}
STAGE_KEYS = {"stage", "subagent_count", "max_steps", "total_steps", "execution_time_ms"}
RATE_KEYS = {"total_requests", "rate_limit_hits", "retry_count", "current_rpm", "avg_delay_ms", "adaptive_delay_ms",
             "last_rate_limit_info", "last_request_timestamp_secs"}

THREE = plan_json(
    {"id": "alpha", "name": "Alpha", "instruction": "MARK-ALPHA: create alpha.txt", "specialty": "Coder",
     "dependencies": [], "priority": 1},
    {"id": "beta", "name": "Beta", "instruction": "MARK-BETA: create beta.txt", "specialty": "Coder",
     "dependencies": [], "priority": 1},
    {"id": "gamma", "name": "Gamma", "instruction": "MARK-GAMMA: create gamma.txt from alpha and beta",
     "specialty": "Writer", "dependencies": ["alpha", "Beta"], "priority": 2},
)


def assert_shape(data: dict) -> None:
    assert RESULT_KEYS <= set(data)
    assert STATS_KEYS <= set(data["stats"]) and RATE_KEYS <= set(data["stats"]["rate_limit_stats"])
    for sub in data["subtask_results"]:
        assert SUBTASK_KEYS <= set(sub)
    for stage in data["stats"]["stages"]:
        assert STAGE_KEYS <= set(stage)
    for artifact in data["artifacts"]:
        assert {"artifact_type", "name", "content", "source_subagent", "mime_type"} <= set(artifact)


def test_three_subtasks_two_stages_merged(swarm_cli, llm_server, repo: Path, tmp_path: Path):
    llm_server.router = router(THREE, {
        "MARK-ALPHA": writes("alpha.txt", "ALPHA\n", "ALPHA-RESULT: wrote alpha.txt"),
        "MARK-BETA": writes("beta.txt", "BETA\n", "BETA-RESULT: wrote beta.txt"),
        "MARK-GAMMA": writes("gamma.txt", "GAMMA from alpha and beta\n", "GAMMA-RESULT"),
    })
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "write alpha, beta, then gamma")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    data = json.loads(proc.stdout)
    assert_shape(data)
    assert data["success"] is True and data["error"] is None
    by_id = {s["subtask_id"]: s for s in data["subtask_results"]}
    assert set(by_id) == {"alpha", "beta", "gamma"}
    assert [s["stage"] for s in data["stats"]["stages"]] == [0, 1]
    assert [s["subagent_count"] for s in data["stats"]["stages"]] == [2, 1]
    assert by_id["gamma"]["stage"] == 1 and all(s["merge"]["status"] == "merged" for s in by_id.values())
    assert data["stats"]["critical_path"] == ["alpha", "gamma"] or data["stats"]["critical_path"][-1] == "gamma"
    assert "=== Subtask 1 ===" in data["result"]

    # The stage-2 agent was handed both stage-1 results in its request.
    gamma_requests = [r.body for r in llm_server.requests if "MARK-GAMMA" in text_of(r.body, "user")
                      and "You are a task orchestrator" not in text_of(r.body, "user")]
    assert gamma_requests and "ALPHA-RESULT" in text_of(gamma_requests[0], "user")
    assert "BETA-RESULT" in text_of(gamma_requests[0], "user")
    # Each sub-agent worked in its own worktree outside the project, not in the main tree.
    dirs = {text_of(r.body, "system").split("WORKING DIRECTORY: ")[1].split("\n")[0] for r in llm_server.requests
            if "WORKING DIRECTORY" in text_of(r.body, "system")}
    assert len(dirs) == 3 and all(d.startswith(str(tmp_path / "tmp")) for d in dirs)

    # The final tree has all three changes, committed; nothing of the swarm is left behind.
    assert (repo / "alpha.txt").read_text() == "ALPHA\n" and (repo / "beta.txt").read_text() == "BETA\n"
    assert (repo / "gamma.txt").exists()
    assert git(repo, "status", "--porcelain") == ""
    assert "swarm: merge gamma" in git(repo, "log", "--format=%s")
    assert len(worktrees(repo)) == 1 and swarm_branches(repo) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_text_summary_and_session_records(swarm_cli, llm_server, repo: Path):
    llm_server.router = router("not used", {"": [Reply("looked around: all good")]})
    proc = swarm_cli("swarm", "--model", "openai/m", "--strategy", "none", "check the project")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("=== Swarm Execution Results ===\nStatus: SUCCESS\nSubtasks: 1\n")
    assert "looked around: all good" in proc.stdout
    assert not any(is_orch for is_orch in ("task orchestrator" in text_of(r.body, "user")
                                          for r in llm_server.requests))  # none: no decomposition call
    listed = json.loads(swarm_cli("sessions", "list", "--json").stdout)
    assert any(s["agent"] == "swarm" and "Main Task" in s["title"] for s in listed)


def test_shared_directory_without_git(swarm_cli, llm_server, workspace: Path):
    plan = plan_json({"id": "one", "name": "One", "instruction": "MARK-ONE edit app.py"},
                     {"id": "two", "name": "Two", "instruction": "MARK-TWO create notes.md"})
    llm_server.router = router(plan, {
        "MARK-ONE": [Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"',
                                                         "new_string": '"hello"'})]), Reply("fixed")],
        "MARK-TWO": writes("notes.md", "notes\n", "noted"),
    })
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "fix and note")
    assert proc.returncode == 0, proc.stderr
    assert '"hello"' in (workspace / "app.py").read_text() and (workspace / "notes.md").exists()
    assert all(s["merge"] is None for s in json.loads(proc.stdout)["subtask_results"])


def test_identical_read_only_subtask_is_served_from_cache(swarm_cli, llm_server, repo: Path):
    llm_server.router = router("unused", {"": [Reply("the answer is 42")]})
    first = json.loads(swarm_cli("swarm", "--model", "openai/m", "--strategy", "none", "--json", "what is it").stdout)
    assert (first["stats"]["cache_hits"], first["stats"]["cache_misses"]) == (0, 1)
    asked = len(llm_server.requests)
    second = json.loads(swarm_cli("swarm", "--model", "openai/m", "--strategy", "none", "--json", "what is it").stdout)
    assert (second["stats"]["cache_hits"], second["stats"]["cache_misses"]) == (1, 0)
    assert len(llm_server.requests) == asked  # not paid for twice
    assert second["subtask_results"][0]["cached"] and second["subtask_results"][0]["result"] == "the answer is 42"
    (repo / "app.py").write_text("changed\n")  # a different workspace state (a new commit) is a different key
    git(repo, "commit", "-qam", "change")
    third = json.loads(swarm_cli("swarm", "--model", "openai/m", "--strategy", "none", "--json", "what is it").stdout)
    assert third["stats"]["cache_misses"] == 1


def test_build_agent_starts_a_swarm_with_the_swarm_tool(swarm_cli, llm_server, repo: Path):
    llm_server.router = router("unused", {
        "please swarm": [Reply(tool_calls=[ToolCall("swarm", {"task": "MARK-SUB write sub.txt", "strategy": "none",
                                                              "model": "openai/m"})]), Reply("the swarm finished")],
        "MARK-SUB": writes("sub.txt", "from the swarm\n", "sub done"),
    })
    proc = swarm_cli("run", "--agent", "build", "--model", "openai/m", "please swarm")
    assert proc.returncode == 0, proc.stderr
    assert "the swarm finished" in proc.stdout
    assert (repo / "sub.txt").read_text() == "from the swarm\n"
    build_requests = [r.body for r in llm_server.requests if "please swarm" in text_of(r.body, "user")]
    offered = available_tools(build_requests[0])
    assert "swarm" in offered and "swarm_share" not in offered
    tool_result = [m for m in build_requests[1]["messages"] if m["role"] == "tool"][0]["content"]
    assert "Status: SUCCESS" in tool_result
