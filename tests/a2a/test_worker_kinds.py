"""The worker as the platform drives it (spec §11.5-11.7): the platform test server sends a swarm task, a Ralph task,
tiered tasks and a resume; each is claimed, run by the real subsystem against the scripted model, streamed and
reported. Tasks run concurrently up to --max-concurrent; --auto-approve safe runs read-only tools only."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from tests.a2a.conftest import released
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.platform_server import PlatformServer
from tests.swarm.conftest import FAST_SWARM, is_orchestrator, plan_json, router, text_of, writes

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid"]


def _git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(workspace: Path, base_env) -> Path:
    """The workspace as a git repository with a fast [swarm] config for the worker."""
    _git(workspace, "init", "-q", "-b", "main")
    _git(workspace, "config", "user.name", "Test")
    _git(workspace, "config", "user.email", "test@example.invalid")
    (workspace / ".gitignore").write_text("__pycache__/\n")
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-q", "-m", "initial")
    config_dir = Path(base_env["XDG_CONFIG_HOME"]) / "codetether-agent"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(FAST_SWARM)
    return workspace


def _connected(platform: PlatformServer, worker) -> None:
    platform.wait_for(lambda: platform.connected_streams, what="SSE connection", alive=worker.alive)


TWO = plan_json(
    {"id": "docs", "name": "Docs", "instruction": "MARK-DOCS: write NOTES.md", "specialty": "Writer",
     "dependencies": [], "priority": 1},
    {"id": "tests", "name": "Tests", "instruction": "MARK-TESTS: write test_app.py", "specialty": "Tester",
     "dependencies": [], "priority": 1},
)


def test_swarm_task_runs_the_real_swarm_and_streams_its_progress(start_worker, llm_server, repo):
    llm_server.router = router(TWO, {"MARK-DOCS": writes("NOTES.md", "# Notes\n", "DOCS-RESULT: wrote NOTES.md"),
                                     "MARK-TESTS": writes("test_app.py", "def test_ok():\n    pass\n",
                                                          "TESTS-RESULT: wrote test_app.py")})
    with PlatformServer() as platform:
        worker = start_worker(platform, "--auto-approve", "all")
        _connected(platform, worker)
        platform.enqueue_swarm("s1", "document and test the app", agent_type="parallel", max_subagents=4,
                               timeout_secs=120, strategy="by_domain")
        body = released(platform, "s1", worker, timeout=90)
        assert worker.stop() == 0, worker.output

    assert body["status"] == "completed" and body["error"] is None and body["session_id"], body
    assert "DOCS-RESULT" in body["result"] and "TESTS-RESULT" in body["result"]
    out = platform.tasks["s1"].outputs
    assert out[0] == "[swarm] routing complexity=standard tier=balanced personality=auto target_agent=auto"
    assert out[1] == "[swarm] config strategy=ByDomain max_subagents=4 max_steps=50 timeout=120s tier=balanced"
    assert out[2] == "[swarm] started task=document and test the app planned_subtasks=2"
    for sid in ("docs", "tests"):
        assert f"[swarm] subtask id={sid} status=running" in out and f"[swarm] subtask id={sid} tool=write" in out
        assert f"[swarm] subtask id={sid} status=completed" in out
    assert "[swarm] stage=0 completed=2 failed=0" in out
    assert out[-1].startswith("[swarm] complete success=true subtasks=2 speedup=")
    # The sub-agents' work was merged into the workspace, as a local swarm does.
    assert (repo / "NOTES.md").read_text() == "# Notes\n" and (repo / "test_app.py").exists()
    assert "swarm: merge" in _git(repo, "log", "--format=%s")
    orchestrator = [r.body for r in llm_server.requests if is_orchestrator(r.body)]
    assert orchestrator and "by domain expertise" in text_of(orchestrator[0], "user")


def test_swarm_task_under_safe_gets_read_only_sub_agents(start_worker, llm_server, repo):
    llm_server.router = router(TWO, {"MARK-DOCS": writes("NOTES.md", "# Notes\n", "DOCS-RESULT"),
                                     "MARK-TESTS": [Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
                                                    Reply("TESTS-RESULT: read app.py")]})
    with PlatformServer() as platform:
        worker = start_worker(platform)  # --auto-approve safe, the default
        _connected(platform, worker)
        platform.enqueue_swarm("s1", "look at the app", max_subagents=2)
        body = released(platform, "s1", worker, timeout=90)
        assert worker.stop() == 0, worker.output

    assert not (repo / "NOTES.md").exists()  # the write was refused, not merged
    sub_requests = [r.body for r in llm_server.requests if not is_orchestrator(r.body)]
    offered = {t["function"]["name"] for b in sub_requests for t in b.get("tools", [])}
    assert "read" in offered and not offered & {"write", "edit", "bash", "apply_patch", "multiedit"}
    refusals = [m["content"] for b in sub_requests for m in b["messages"] if m["role"] == "tool"
                and "write" in str(m["content"]) and "read-only tools only" in str(m["content"])]
    assert refusals, sub_requests
    assert "TESTS-RESULT" in body["result"]


RALPH_PRD = {
    "project": "app", "feature": "Greeting fix", "branch": "feature/greeting-fix",
    "quality_checks": {"test": "python -c \"import app; assert app.greet() == 'hello'\""},
    "user_stories": [{"id": "US-001", "title": "Spell hello", "description": "greet() returns 'hello'",
                      "acceptance_criteria": ["greet() == 'hello'"], "priority": 1, "passes": False}],
}


def test_ralph_task_runs_the_real_ralph_loop(start_worker, llm_server, repo, base_env):
    llm_server.script(
        Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"', "new_string": '"hello"'})]),
        Reply(text="Fixed the greeting.\nSTORY_COMPLETE: US-001"))
    with PlatformServer() as platform:
        worker = start_worker(platform, "--auto-approve", "all")
        _connected(platform, worker)
        platform.enqueue_ralph("r1", "fix the greeting", prd=RALPH_PRD, max_iterations=3, model="openai/ralph-model")
        body = released(platform, "r1", worker, timeout=90)
        assert worker.stop() == 0, worker.output

    assert body["status"] == "completed" and body["error"] is None, body
    assert "# Ralph Complete!" in body["result"] and "1/1 stories" in body["result"]
    out = platform.tasks["r1"].outputs
    assert out[0] == "[ralph] wrote the task's PRD to prd.json"
    assert out[1] == "[ralph] started prd={} branch=feature/greeting-fix stories=1 passing=0 max_iterations=3".format(
        repo / "prd.json")
    assert "[ralph] iteration=1/3 story=US-001 attempt=1" in out and "[ralph] story=US-001 tool=edit" in out
    assert any(line.startswith("[ralph] story=US-001 check=test passed=true") for line in out)
    passed = next(line for line in out if "status=passed" in line)
    assert out[-1] == "[ralph] complete status=completed passed=1/1 iterations=1"
    # The real loop: the story's change is committed on the PRD's branch, the PRD marks it passing.
    commit = passed.rsplit("commit=", 1)[1]
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "feature/greeting-fix"
    assert _git(repo, "log", "-1", "--format=%h %s").startswith(f"{commit} feat(us-001): Spell hello")
    assert '"hello"' in (repo / "app.py").read_text() and '"passes": true' in (repo / "prd.json").read_text()
    assert {r.body["model"] for r in llm_server.requests} == {"ralph-model"}


def test_ralph_task_under_safe_is_refused_with_the_reason(start_worker, llm_server, repo):
    with PlatformServer() as platform:
        worker = start_worker(platform, "--auto-approve", "safe")
        _connected(platform, worker)
        platform.enqueue_ralph("r1", "fix the greeting", prd=RALPH_PRD)
        body = released(platform, "r1", worker)
        assert worker.stop() == 0, worker.output
    assert body["status"] == "failed" and "--auto-approve all" in body["error"] and "read-only" in body["error"]
    assert not llm_server.requests and not (repo / "prd.json").exists()


def test_tiers_pick_models_and_a_resume_continues_the_session(start_worker, llm_server):
    llm_server.script(Reply(text="Quick answer."), Reply(text="Deep answer."), Reply(text="Follow-up answer."),
                      Reply(text="Fresh answer."))
    with PlatformServer() as platform:
        worker = start_worker(platform, "--max-concurrent", "1")
        _connected(platform, worker)
        platform.enqueue_tiered("t1", "the codename is PELICAN; say hi", tier="fast")
        first = released(platform, "t1", worker)
        platform.enqueue_tiered("t2", "think hard", complexity="deep")
        released(platform, "t2", worker)
        platform.enqueue_resume("t3", "what was the codename?", first["session_id"])
        third = released(platform, "t3", worker)
        platform.enqueue_resume("t4", "and now?", "0000dead-beef-4000-8000-000000000000")
        fourth = released(platform, "t4", worker)
        assert worker.stop() == 0, worker.output

    models = [r.body["model"] for r in llm_server.requests]
    assert models[:2] == ["gpt-4o-mini", "o3"]  # the fast and heavy tier models of the provider the worker has
    assert third["status"] == "completed" and third["session_id"] == first["session_id"]
    resumed = llm_server.requests[2].body["messages"]
    assert "PELICAN" in str(resumed) and "Quick answer." in str(resumed)
    assert platform.tasks["t3"].outputs[0] == f"[session] resumed {first['session_id']}"
    assert fourth["status"] == "completed" and fourth["session_id"] != first["session_id"]
    assert platform.tasks["t4"].outputs[0].startswith("[session] could not resume 0000dead-beef")
    assert "PELICAN" not in str(llm_server.requests[3].body["messages"])


def test_two_tasks_run_at_once_with_max_concurrent_2(start_worker, llm_server):
    both_asked = threading.Barrier(2, timeout=20)  # each task's first request waits until the other's arrives

    def route(body):
        prompt = str(body["messages"])
        if any(m.get("role") == "tool" for m in body["messages"]):
            return Reply(text="done " + ("A" if "TASK-A" in prompt else "B"))
        both_asked.wait()
        return Reply(tool_calls=[ToolCall("read", {"path": "app.py"})])

    llm_server.router = route
    with PlatformServer() as platform:
        worker = start_worker(platform, "--max-concurrent", "2")
        _connected(platform, worker)
        platform.enqueue("a", "TASK-A: read app.py")
        platform.enqueue("b", "TASK-B: read app.py")
        first, second = released(platform, "a", worker), released(platform, "b", worker)
        beats = platform.calls_to("POST", "/v1/opencode/workers/")
        assert worker.stop() == 0, worker.output
    assert first["result"] == "done A" and second["result"] == "done B"
    assert platform.peak_in_flight() == 2
    assert any(c.body.get("active_task_count") == 2 and c.body.get("status") == "processing" for c in beats
               if isinstance(c.body, dict) and "active_task_count" in c.body)


def test_auto_approve_safe_refuses_write_and_bash(start_worker, llm_server, workspace):
    marker = workspace / "bash-ran"
    llm_server.script(
        Reply(tool_calls=[ToolCall("write", {"path": "new.txt", "content": "x"})]),
        Reply(tool_calls=[ToolCall("bash", {"command": f"touch {marker}"})]),
        Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
        Reply(text="I could only read."))
    with PlatformServer() as platform:
        worker = start_worker(platform, "--auto-approve", "safe")
        _connected(platform, worker)
        platform.enqueue("t1", "change things")
        body = released(platform, "t1", worker)
        assert worker.stop() == 0, worker.output

    assert body["status"] == "completed" and body["result"] == "I could only read."
    assert not (workspace / "new.txt").exists() and not marker.exists()
    out = platform.tasks["t1"].outputs
    assert out[0] == "[tool:start:write]" and out[1].startswith("[tool:write:err] write was not run")
    assert "--auto-approve safe policy runs read-only tools only" in out[1]
    assert out[2] == "[tool:start:bash]" and out[3].startswith("[tool:bash:err]")
    assert out[4] == "[tool:start:read]" and out[5].startswith("[tool:read:ok]")
    offered = {t["function"]["name"] for t in llm_server.requests[0].body["tools"]}
    assert {"read", "grep", "glob", "list"} <= offered and not offered & {"write", "edit", "bash", "apply_patch"}


def test_rlm_task_answers_over_workspace_files(start_worker, llm_server, workspace):
    (workspace / "lib.py").write_text("def helper():\n    return 42\n")
    llm_server.script(Reply(text='grep("def ")'), Reply(text='FINAL("greet and helper")'))
    with PlatformServer() as platform:
        worker = start_worker(platform)  # read-only work: allowed under safe
        _connected(platform, worker)
        platform.enqueue("q1", "which functions exist?", agent_type="rlm", metadata={"paths": ["*.py"]})
        platform.enqueue("q2", "and outside?", agent_type="rlm", metadata={"paths": ["../*"]})
        body, outside = released(platform, "q1", worker), released(platform, "q2", worker)
        assert worker.stop() == 0, worker.output
    assert body["status"] == "completed" and body["result"] == "greet and helper" and body["session_id"]
    out = platform.tasks["q1"].outputs
    assert out[0].startswith("[rlm] ") and "app.py" in out[0] and "lib.py" in out[0]
    assert out[-1] == "[rlm] final after 2 iterations, 0 sub-queries"
    assert "def helper" in str(llm_server.requests[1].body["messages"])
    assert outside["status"] == "failed" and "outside the workspace" in outside["error"]
