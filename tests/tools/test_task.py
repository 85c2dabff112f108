"""task: background shell commands with real processes: start, status, output, cancel, caps, cleanup."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from codetether.tool import task as task_tool
from codetether.tool.base import NamedSession, ToolContext
from tests.tools.conftest import call


@pytest.fixture
def tctx(isolated_env, tmp_path: Path) -> ToolContext:
    return ToolContext(root=tmp_path, session=NamedSession("session-under-test"))


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs; zombies (killed, not yet reaped by init) do not count."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def test_start_returns_at_once_then_output_status_and_cancel(tctx: ToolContext, tmp_path):
    started = time.monotonic()
    result = call("task", {"action": "start", "command": "echo begin; echo $PWD; sleep 60 & sleep 60"}, tctx)
    assert result.success, result.output
    assert time.monotonic() - started < 2
    task_id = result.metadata["id"]
    assert task_id in result.output
    pgid = task_tool.TASKS.of(tctx.session_id)[task_id].proc.pid
    _wait_for(lambda: str(tmp_path) in call("task", {"action": "output", "id": task_id}, tctx).output)
    output = call("task", {"action": "output", "id": task_id}, tctx).output
    assert output.split("\n\n", 1)[1].startswith("begin\n")  # the body, below the status line
    status = call("task", {"action": "status", "id": task_id}, tctx)
    assert "running" in status.output and status.metadata["state"] == "running"
    assert task_id in call("task", {"action": "list"}, tctx).output
    cancelled = call("task", {"action": "cancel", "id": task_id}, tctx)
    assert "cancelled" in cancelled.output
    _wait_for(lambda: not _group_alive(pgid), 5)  # the backgrounded sleep went with it (signals land async)
    assert call("task", {"action": "status", "id": task_id}, tctx).metadata["state"] == "cancelled"


def test_exit_code_and_tail(tctx: ToolContext):
    task_id = call("task", {"action": "start", "command": "for i in $(seq 1 100); do echo line$i; done; exit 3"},
                   tctx).metadata["id"]
    _wait_for(lambda: task_tool.TASKS.of(tctx.session_id)[task_id].proc.poll() is not None)
    status = call("task", {"action": "status", "id": task_id}, tctx)
    assert "exited with code 3" in status.output
    _wait_for(lambda: "line100" in call("task", {"action": "output", "id": task_id}, tctx).output)
    out = call("task", {"action": "output", "id": task_id, "tail": 3}, tctx).output
    assert out.rstrip().endswith("line98\nline99\nline100") and "line97" not in out
    again = call("task", {"action": "cancel", "id": task_id}, tctx)
    assert "had already exited with code 3" in again.output


def test_log_is_capped_keeping_the_latest_output(tctx: ToolContext, monkeypatch):
    monkeypatch.setattr(task_tool, "LOG_CAP_BYTES", 4096)
    task_id = call("task", {"action": "start", "command": "for i in $(seq 1 3000); do echo row$i; done"},
                   tctx).metadata["id"]
    task = task_tool.TASKS.of(tctx.session_id)[task_id]
    _wait_for(lambda: task.proc.poll() is not None)
    _wait_for(lambda: "row3000" in call("task", {"action": "output", "id": task_id}, tctx).output)
    out = call("task", {"action": "output", "id": task_id, "tail": 5}, tctx).output
    assert "[log capped at" in out and "oldest" in out
    total = sum(len(f"row{i}\n") for i in range(1, 3001))
    assert task.log.stat().st_size <= 4096 and task.dropped + task.log.stat().st_size == total
    assert task.log.read_text().endswith("row3000\n")


def test_stop_tasks_ends_a_sessions_tasks_only(tctx: ToolContext, tmp_path):
    other = ToolContext(root=tmp_path, session=NamedSession("another-session"))
    mine = call("task", {"action": "start", "command": "sleep 60"}, tctx).metadata["id"]
    theirs = call("task", {"action": "start", "command": "sleep 60"}, other).metadata["id"]
    try:
        assert mine not in call("task", {"action": "list"}, other).output
        assert "no task with id" in call("task", {"action": "status", "id": mine}, other).output
        my_task = task_tool.TASKS.of("session-under-test")[mine]
        asyncio.run(task_tool.stop_tasks("session-under-test"))
        assert my_task.proc.poll() is not None and mine not in task_tool.TASKS.of("session-under-test")
        assert task_tool.TASKS.of("another-session")[theirs].proc.poll() is None
    finally:
        asyncio.run(task_tool.stop_tasks("another-session"))


def test_environment_is_scrubbed_of_secrets(tctx: ToolContext, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", "hvs.secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    task_id = call("task", {"action": "start", "command": "env; echo DONE_$((40+2))"}, tctx).metadata["id"]
    _wait_for(lambda: "DONE_42" in call("task", {"action": "output", "id": task_id, "tail": 2000}, tctx).output)
    out = call("task", {"action": "output", "id": task_id, "tail": 2000}, tctx).output
    assert "VAULT_TOKEN" not in out and "OPENAI_API_KEY" not in out and "GIT_TERMINAL_PROMPT=0" in out


def test_bash_permission_rules_apply_to_start(tctx: ToolContext):
    from types import MappingProxyType

    from codetether.config.permission import PermissionRules
    from codetether.tool.support.permission import PermissionPolicy

    rules = PermissionRules(bash_patterns=MappingProxyType({"rm *": "deny", "*": "allow"}), source="cfg.toml")
    tctx.policy = PermissionPolicy(rules)
    result = call("task", {"action": "start", "command": "rm -r somewhere"}, tctx)
    assert not result.success and result.metadata.get("refused") and '"rm *" = "deny"' in result.output
    tctx.policy = PermissionPolicy(agent="plan")
    assert call("task", {"action": "list"}, tctx).metadata.get("refused")


@pytest.mark.parametrize("args, needle", [
    ({}, "'action'"), ({"action": "run"}, "'action'"), ({"action": "start"}, "'command'"),
    ({"action": "start", "command": "  "}, "'command'"), ({"action": "output"}, "'id'"),
    ({"action": "cancel", "id": "nope"}, "no task with id 'nope'"), ({"action": "output", "id": "x", "tail": 0}, "'tail'"),
])
def test_bad_arguments_name_the_field(tctx: ToolContext, args, needle):
    result = call("task", args, tctx)
    assert not result.success and needle in result.output


def test_a_thousand_tasks_across_sessions_leave_each_sessions_limit_alone(tctx: ToolContext):
    """The running limit counts one session's tasks; finished ones are forgotten past a bound, so a server that
    runs many sessions does not grow. (One real finished process stands for the thousand's.)"""
    import subprocess

    done = subprocess.Popen(["true"])
    done.wait()
    for n in range(1000):
        task_tool.TASKS.add(task_tool.BackgroundTask(f"t{n}", f"session-{n % 20}", "true", done, Path(os.devnull)))
    try:
        assert all(len(task_tool.TASKS.of(f"session-{s}")) <= task_tool.KEEP_FINISHED + 1 for s in range(20))
        started = [call("task", {"action": "start", "command": "sleep 30"}, tctx) for _ in range(task_tool.MAX_RUNNING)]
        assert all(r.success for r in started), started[-1].output
        refused = call("task", {"action": "start", "command": "sleep 30"}, tctx)
        assert not refused.success and f"{task_tool.MAX_RUNNING} tasks are already running" in refused.output
    finally:
        asyncio.run(task_tool.stop_tasks(tctx.session_id))
        for s in range(20):
            task_tool.TASKS.drop(f"session-{s}")
