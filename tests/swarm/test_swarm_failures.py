"""Swarm failure paths: merge conflicts, failed and interrupted runs leave no worktrees, bad plans, 429 storms."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import assert_clean_failure
from tests.harness.llm_server import HttpError, Reply, Stall, ToolCall
from tests.swarm.conftest import (
    git,
    is_orchestrator,
    plan_json,
    router,
    swarm_branches,
    text_of,
    worktrees,
    writes,
)

ORIGINAL = 'def greet():\n    return "helo"\n\nprint(greet())\n'


def _edit(new: str) -> list:
    return [Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"', "new_string": new})]),
            Reply(f"changed to {new}")]


def test_conflicting_edits_are_reported_and_main_tree_stays_intact(swarm_cli, llm_server, repo: Path):
    plan = plan_json({"id": "en", "name": "English", "instruction": "MARK-EN fix the greeting"},
                     {"id": "de", "name": "German", "instruction": "MARK-DE translate the greeting"})
    llm_server.router = router(plan, {"MARK-EN": _edit('"hello"'), "MARK-DE": _edit('"hallo"')})
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "greet better")
    assert proc.returncode == 1, proc.stdout
    data = json.loads(proc.stdout)
    merges = {s["subtask_id"]: s["merge"] for s in data["subtask_results"]}
    assert sorted(m["status"] for m in merges.values()) == ["conflict", "merged"]
    loser = next(sid for sid, m in merges.items() if m["status"] == "conflict")
    assert merges[loser]["conflicts"] == ["app.py"]
    assert data["success"] is False and data["error"].startswith("Swarm incomplete: 1/2")
    conflict = next(a for a in data["artifacts"] if a["artifact_type"] == "merge_conflict")
    assert conflict["content"] == "app.py" and conflict["name"] == merges[loser]["branch"]
    # The main tree holds exactly the winner's version, committed, with no conflict markers.
    versions = {"en": ORIGINAL.replace('"helo"', '"hello"'), "de": ORIGINAL.replace('"helo"', '"hallo"')}
    winner = "en" if loser == "de" else "de"
    text = (repo / "app.py").read_text()
    assert text == versions[winner]
    assert "<<<<<<<" not in text and git(repo, "status", "--porcelain") == ""
    # The losing branch is kept for the user (with its commit); everything else is gone.
    assert swarm_branches(repo) == [merges[loser]["branch"]]
    assert git(repo, "show", merges[loser]["branch"] + ":app.py") == versions[loser]
    assert len(worktrees(repo)) == 1


def test_failed_subagent_cleans_up(swarm_cli, llm_server, repo: Path, tmp_path: Path):
    plan = plan_json({"id": "ok", "name": "Ok", "instruction": "MARK-OK write ok.txt"},
                     {"id": "bad", "name": "Bad", "instruction": "MARK-BAD always refused"},
                     {"id": "after", "name": "After", "instruction": "MARK-AFTER", "dependencies": ["bad"]})
    llm_server.router = router(plan, {"MARK-OK": writes("ok.txt", "ok\n", "ok"),
                                      "MARK-BAD": [HttpError(400, {"error": {"message": "nope"}})]})
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "partly failing")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    by_id = {s["subtask_id"]: s for s in data["subtask_results"]}
    assert by_id["ok"]["success"] and (repo / "ok.txt").read_text() == "ok\n"
    assert not by_id["bad"]["success"] and "nope" in by_id["bad"]["error"] and by_id["bad"]["retry_count"] == 1
    assert "dependency bad failed" in by_id["after"]["error"]
    assert not any("MARK-AFTER" in text_of(r.body, "user") and not is_orchestrator(r.body)
                   for r in llm_server.requests)
    assert data["error"].startswith("Swarm incomplete")
    assert len(worktrees(repo)) == 1 and swarm_branches(repo) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_sigint_mid_run_removes_worktrees(swarm_cli, llm_server, repo: Path, tmp_path: Path):
    plan = plan_json({"id": "s1", "name": "Slow 1", "instruction": "MARK-SLOW one"},
                     {"id": "s2", "name": "Slow 2", "instruction": "MARK-SLOW two"})
    llm_server.router = router(plan, {"MARK-SLOW": [Stall(60, Reply("late"))]})
    proc = subprocess.Popen([sys.executable, "-m", "codetether", "swarm", "--model", "openai/m", "go slowly"],
                            cwd=repo, env=swarm_cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        llm_server.wait_for_requests(3, timeout=30)  # the plan, then both sub-agents are waiting on the model
        assert len(worktrees(repo)) == 4  # main, integration, two sub-agents
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert len(worktrees(repo)) == 1 and swarm_branches(repo) == []
    assert list((tmp_path / "tmp").iterdir()) == []
    assert (repo / "app.py").read_text() == ORIGINAL and git(repo, "status", "--porcelain") == ""


def test_malformed_plan_is_retried_with_the_error_then_falls_back(swarm_cli, llm_server, repo: Path):
    llm_server.router = router(["{not json", "still not json"], {"": [Reply("did it all")]})
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "do everything")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    orchestrator = [r.body for r in llm_server.requests if is_orchestrator(r.body)]
    assert len(orchestrator) == 2
    retry = text_of(orchestrator[1], "user")
    assert "Repair this invalid swarm decomposition" in retry and "not valid JSON" in retry and "{not json" in retry
    assert [s["name"] for s in data["subtask_results"]] == ["Main Task"]
    assert any("invalid twice" in n for n in data["notes"])
    main_task = next(r.body for r in llm_server.requests if not is_orchestrator(r.body))
    assert "do everything" in text_of(main_task, "user")


def test_repaired_plan_is_used(swarm_cli, llm_server, repo: Path):
    good = plan_json({"id": "only", "name": "Only", "instruction": "MARK-ONLY"})
    llm_server.router = router(['{"subtasks": []}', good], {"MARK-ONLY": [Reply("done")]})
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "task")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [s["subtask_id"] for s in data["subtask_results"]] == ["only"]
    assert "empty" in data["notes"][0]


def test_dependency_cycle_is_repaired(swarm_cli, llm_server, repo: Path):
    plan = plan_json({"id": "a", "name": "A", "instruction": "MARK-A", "dependencies": ["b"]},
                     {"id": "b", "name": "B", "instruction": "MARK-B", "dependencies": ["a"]},
                     {"id": "c", "name": "C", "instruction": "MARK-C", "dependencies": ["nowhere"]})
    llm_server.router = router(plan, {"MARK-A": [Reply("a done")], "MARK-B": [Reply("b done")],
                                      "MARK-C": [Reply("c done")]})
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "circular")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["success"] and len(data["subtask_results"]) == 3
    notes = " ".join(data["notes"])
    assert "cycle" in notes and "unknown dependency 'nowhere'" in notes
    assert len(data["stats"]["stages"]) == 2  # the cycle became a chain: one of a/b runs after the other


def test_429_storm_is_absorbed(swarm_cli, llm_server, repo: Path):
    plan = plan_json(*({"id": f"t{i}", "name": f"T{i}", "instruction": f"MARK-T{i}"} for i in range(3)))
    storm = {"left": 6}
    base = router(plan, {f"MARK-T{i}": [Reply(f"t{i} done")] for i in range(3)})

    def route(body):
        if not is_orchestrator(body) and storm["left"] > 0:
            storm["left"] -= 1
            return HttpError(429, headers={"Retry-After": "0"})
        return base(body)

    llm_server.router = route
    proc = swarm_cli("swarm", "--model", "openai/m", "--json", "storm")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["success"] and all(s["success"] for s in data["subtask_results"])
    rate = data["stats"]["rate_limit_stats"]
    assert rate["rate_limit_hits"] == 6 and rate["retry_count"] >= 6
    assert rate["last_rate_limit_info"]["retry_after_secs"] == 0


def test_bad_swarm_config_and_flags(swarm_cli, llm_server, repo: Path):
    config = Path(swarm_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.write_text("[swarm]\nmax_concurrent_requests = 'many'\n")
    assert_clean_failure(swarm_cli("swarm", "x"), "swarm.max_concurrent_requests", "integer")
    config.write_text("[swarm]\nmax_subagent = 3\n")  # an unknown key: a warning naming the known ones
    shown = swarm_cli("config", "--show")
    assert shown.returncode == 0 and f"{config} line 2: unknown key 'swarm.max_subagent' (ignored)" in shown.stderr
    assert "max_subagents" in shown.stderr
    proc = swarm_cli("swarm", "--max-subagents", "101", "x")
    assert proc.returncode == 2 and "at most 100" in proc.stderr
    assert llm_server.requests == []
