"""Killed or interrupted mid-iteration, Ralph leaves a valid PRD behind and a re-run resumes the right story."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from codetether.ralph.prd import Prd
from tests.harness.llm_server import Reply, Stall, ToolCall
from tests.ralph.conftest import BRANCH, CALC, first_requests, git, user_text

US1 = (Reply(tool_calls=[ToolCall("write", {"path": "calc.py", "content": CALC + "\n\ndef multiply(a, b):\n"
                                                                              "    return a * b\n"})]),
       Reply(text="STORY_COMPLETE: US-001"))
DIVIDE = CALC + "\n\ndef multiply(a, b):\n    return a * b\n\n\ndef divide(a, b):\n    return a / b\n"
US2_STARTED = Reply(tool_calls=[ToolCall("write", {"path": "calc.py", "content": DIVIDE})])
# Never answers within the test; `then` keeps it from taking a later script item when it wakes.
STUCK = Stall(120, then=Reply(text="too late"))


def _start(cli, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "codetether", "ralph", "run", "-p", "prd.json", "-m", "openai/m",
                             *extra], cwd=cli.cwd, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _assert_mid_run_state(project) -> None:
    prd = Prd.parse((project / "prd.json").read_text())  # valid, whatever moment the process died at
    assert [s.passes for s in prd.stories] == [True, False, False]
    assert git(project, "log", "--format=%s", f"main..{BRANCH}") == "feat(us-001): Add multiply"


def test_sigkill_mid_iteration_then_resume(cli, model, project):
    model.script(*US1, US2_STARTED, STUCK)
    proc = _start(cli)
    try:
        model.wait_for_requests(4, timeout=60)  # the stalled request: US-002's agent is mid-turn
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    _assert_mid_run_state(project)

    seen = len(first_requests(model))
    model.script(Reply(text="divide was already written.\nSTORY_COMPLETE: US-002"),
                 Reply(tool_calls=[ToolCall("edit", {"path": "calc.py", "old_string": "return a / b\n",
                                                     "new_string": "return a / b\n\n\ndef power(a, b):\n"
                                                                   "    return a**b\n"})]),
                 Reply(text="STORY_COMPLETE: US-003"))
    rerun = cli("ralph", "run", "-p", "prd.json", "-m", "openai/m", "--json", timeout=120)

    assert rerun.returncode == 0, rerun.stderr
    resumed = first_requests(model)[seen:]
    assert "implement story US-002 (Add divide), attempt 2" in user_text(resumed[0])
    assert "implement story US-003" in user_text(resumed[1])
    assert json.loads(rerun.stdout)["stories"]["passed"] == 3
    assert git(project, "log", "--format=%s", f"main..{BRANCH}").splitlines()[:2] == [
        "feat(us-003): Add power", "feat(us-002): Add divide"]


def test_ctrl_c_stops_cleanly(cli, model, project):
    model.script(*US1, US2_STARTED, STUCK)
    proc = _start(cli, "--json")
    try:
        model.wait_for_requests(4, timeout=60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    summary = json.loads(out)
    assert summary["status"] == "stopped" and summary["stories"]["passed_ids"] == ["US-001"]
    _assert_mid_run_state(project)
    assert "iteration 2 · US-002 Add divide: interrupted" in (project / "progress.txt").read_text()
    status = json.loads(cli("ralph", "status", "-p", "prd.json", "--json").stdout)
    assert status["last_run"]["status"] == "stopped" and status["running_pid"] is None
    assert status["next_story"] == "US-002"
