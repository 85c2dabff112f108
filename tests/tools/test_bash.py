"""bash: output, exit codes, cwd, timeouts and cancellation that take the whole process group down."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from codetether.tool import bash as bash_module
from codetether.tool.base import ToolContext
from tests.harness.procs import host_pids
from tests.tools.conftest import call


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # an unreaped orphan is dead for our purposes


def _wait_dead(pids: list[int], within: float = 3.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def _pids(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()]


def test_output_and_exit_code(ctx: ToolContext) -> None:
    result = call("bash", {"command": "echo out; echo err >&2"}, ctx)
    assert result.success
    assert "out" in result.output and "err" in result.output
    assert result.output.endswith("exit code 0") and result.metadata["exit_code"] == 0


def test_nonzero_exit_is_a_failure(ctx: ToolContext) -> None:
    result = call("bash", {"command": "echo nope; exit 3"}, ctx)
    assert not result.success
    assert "nope" in result.output and "exit code 3" in result.output
    assert result.metadata["exit_code"] == 3


def test_cwd_defaults_to_context_and_can_be_set(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    assert str(tmp_path) in call("bash", {"command": "pwd"}, ctx).output
    assert str(tmp_path / "sub") in call("bash", {"command": "pwd", "cwd": "sub"}, ctx).output
    bad = call("bash", {"command": "pwd", "cwd": "missing"}, ctx)
    assert not bad.success and "cwd" in bad.output


def test_environment_is_non_interactive(ctx: ToolContext) -> None:
    ctx.env = {"MY_VAR": "from-ctx"}
    result = call("bash", {"command": "echo $MY_VAR $GIT_TERMINAL_PROMPT $PAGER; read -r x; echo read=$?"}, ctx)
    assert "from-ctx 0 cat" in result.output
    assert "read=1" in result.output  # stdin is /dev/null, so nothing can wait for input


def test_timeout_kills_the_whole_process_group(ctx: ToolContext, tmp_path: Path) -> None:
    started = time.monotonic()
    result = call("bash", {"command": "echo before; sleep 30.101 & sleep 30.102", "timeout": 1}, ctx)
    assert time.monotonic() - started < 10
    assert not result.success and result.metadata["timed_out"]
    assert "before" in result.output and "timed out after 1s" in result.output
    assert _wait_dead(host_pids("30.10"))


def test_cancellation_kills_the_process_group(ctx: ToolContext, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"

    async def scenario() -> None:
        task = asyncio.create_task(bash_module.TOOL.execute(
            {"command": f"sleep 30.201 & echo started > {pidfile}; sleep 30.202"}, ctx))
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            await asyncio.sleep(0.02)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    asyncio.run(scenario())
    assert pidfile.exists()
    assert _wait_dead(host_pids("30.20"))


def test_background_job_ends_with_the_call(ctx: ToolContext, tmp_path: Path) -> None:
    """The sandbox's PID namespace ends with the command: a `&` job can't outlive the call (the task tool
    is for that), and it does not hold the call open either."""
    started = time.monotonic()
    result = call("bash", {"command": "sleep 5.301 & echo done"}, ctx)
    assert time.monotonic() - started < 4
    assert result.success and "done" in result.output
    assert _wait_dead(host_pids("5.301"), within=1.0)


def test_huge_output_keeps_head_and_tail(ctx: ToolContext) -> None:
    result = call("bash", {"command": "echo FIRST; head -c 200000 /dev/zero | tr '\\0' x; echo; echo LAST"}, ctx)
    assert result.success
    assert len(result.output) < bash_module.MAX_OUTPUT_CHARS + 500
    assert result.output.startswith("FIRST") and "LAST" in result.output and "omitted" in result.output
