"""End to end: `codetether ralph run` implements a 3-story PRD with a scripted model, ruff and pytest."""

from __future__ import annotations

import json

from tests.harness.llm_server import HttpError, Reply, ToolCall
from tests.ralph.conftest import BRANCH, CALC, first_requests, git, user_text

MULTIPLY = CALC + "\n\ndef multiply(a, b):\n    return a * b\n"
DIVIDE_BROKEN = MULTIPLY + "\n\ndef divide(a, b):\n    return a - b\n"
POWER = "\n\ndef power(a, b):\n    return a**b\n"


def _test(name: str, call: str, expected: str) -> str:
    return f"from calc import {name}\n\n\ndef test_{name}():\n    assert {call} == {expected}\n"


def progress_note(text: str) -> ToolCall:
    return ToolCall("bash", {"command": f"printf '%s\\n' {json.dumps(text)} >> progress.txt"})


SCRIPT = (
    # iteration 1: US-001
    Reply(tool_calls=[ToolCall("write", {"path": "calc.py", "content": MULTIPLY}),
                      ToolCall("write", {"path": "tests/test_multiply.py",
                                         "content": _test("multiply", "multiply(2, 3)", "6")})]),
    Reply(tool_calls=[progress_note("- US-001 learned: tests live in tests/, run with pytest -q")]),
    Reply(text="Added multiply.\nSTORY_COMPLETE: US-001"),
    # iteration 2: US-002, a wrong implementation the test suite catches
    Reply(tool_calls=[ToolCall("write", {"path": "calc.py", "content": DIVIDE_BROKEN}),
                      ToolCall("write", {"path": "tests/test_divide.py",
                                         "content": _test("divide", "divide(6, 3)", "2")})]),
    Reply(text="Added divide.\nSTORY_COMPLETE: US-002"),
    # iteration 3: US-002 again, fixed after reading the failure
    Reply(tool_calls=[ToolCall("edit", {"path": "calc.py", "old_string": "return a - b",
                                        "new_string": "return a / b"})]),
    Reply(tool_calls=[progress_note("- US-002 blocker fixed: divide subtracted")]),
    Reply(text="Fixed divide.\nSTORY_COMPLETE: US-002"),
    # iteration 4: US-003, unblocked now that US-002 passes
    Reply(tool_calls=[ToolCall("edit", {"path": "calc.py", "old_string": "return a / b\n",
                                        "new_string": "return a / b\n" + POWER}),
                      ToolCall("write", {"path": "tests/test_power.py",
                                         "content": _test("power", "power(2, 3)", "8")})]),
    Reply(text="Added power.\nSTORY_COMPLETE: US-003"),
)


def test_ralph_implements_every_story(cli, model, project):
    model.script(*SCRIPT)

    proc = cli("ralph", "run", "-p", "prd.json", "-m", "openai/test-model", "--max-iterations", "6", "--json",
               timeout=180)

    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "completed" and summary["iterations"] == 4
    assert summary["stories"] == {"total": 3, "passed": 3, "failed": 0,
                                  "passed_ids": ["US-001", "US-002", "US-003"], "failed_ids": []}
    assert len(summary["commits"]) == 3 and summary["tokens"]["total"] > 0 and summary["elapsed_s"] > 0
    assert model.pending == 0

    # Each iteration starts a fresh agent: system prompt + one story message, in dependency order.
    firsts = first_requests(model)
    assert len(firsts) == 4
    stories = [user_text(b).split("implement story ", 1)[1].split(" ", 1)[0] for b in firsts]
    assert stories == ["US-001", "US-002", "US-002", "US-003"]
    assert "Previous attempt failed" not in user_text(firsts[1])
    retry = user_text(firsts[2])
    assert "Previous attempt failed" in retry and "attempt 2" in retry
    assert "test `pytest -q` failed (exit 1)" in retry
    assert "test_divide" in retry and "assert 3 == 2" in retry  # pytest's own failure output
    last = user_text(firsts[3])
    assert "US-001 learned: tests live in tests/" in last  # progress.txt tail
    assert "feat(us-002): Add divide" in last  # recent git log
    assert "- [x] US-002: Add divide" in last and "- [ ] US-003: Add power" in last  # PRD summary

    # Three commits on the PRD branch, each naming its story; nothing left uncommitted.
    assert git(project, "branch", "--show-current") == BRANCH
    log = git(project, "log", "--format=%s", f"main..{BRANCH}").splitlines()
    assert log == ["feat(us-003): Add power", "feat(us-002): Add divide", "feat(us-001): Add multiply"]
    assert git(project, "status", "--porcelain") == ""
    assert "return a**b" in git(project, "show", f"{BRANCH}:calc.py")

    prd = json.loads((project / "prd.json").read_text())
    assert [s["passes"] for s in prd["user_stories"]] == [True, True, True]
    assert prd["owner"] == "qa-team" and prd["user_stories"][2]["notes"] == "keep me"  # unknown fields kept

    progress = (project / "progress.txt").read_text()
    assert "US-001 learned" in progress and "US-002 blocker fixed" in progress
    loop_lines = [ln for ln in progress.splitlines() if ln.startswith("[ralph ")]
    assert len(loop_lines) == 4
    assert "iteration 2 · US-002 Add divide: failed: test `pytest -q` failed (exit 1)" in loop_lines[1]
    assert loop_lines[3].endswith("iteration 4 · US-003 Add power: passed (lint, test)")

    # Progress lines went to stderr, the JSON alone to stdout.
    assert "[ralph] iteration 3/6 · US-002 Add divide (attempt 2)" in proc.stderr
    assert "check test: pytest -q → failed (exit 1)" in proc.stderr

    status = json.loads(cli("ralph", "status", "-p", "prd.json", "--json").stdout)
    assert status["progress"] == {"passed": 3, "total": 3}
    by_id = {s["id"]: s for s in status["stories"]}
    assert by_id["US-002"]["attempts"] == 2 and by_id["US-002"]["state"] == "passed"
    assert by_id["US-001"]["attempts"] == 1 and status["last_run"]["status"] == "completed"


def test_provider_failure_ends_the_run_with_the_error(cli, model, project):
    before = (project / "prd.json").read_bytes()
    model.script(HttpError(401, {"error": {"message": "invalid api key", "type": "auth"}}))

    proc = cli("ralph", "run", "-p", "prd.json", "-m", "openai/m", "--json")

    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "error" and summary["iterations"] == 1 and "401" in summary["error"]
    assert (project / "prd.json").read_bytes() == before
    status = json.loads(cli("ralph", "status", "-p", "prd.json", "--json").stdout)
    us1 = status["stories"][0]
    assert us1["attempts"] == 1 and us1["state"] == "failing" and "agent error" in us1["last_failure"]
