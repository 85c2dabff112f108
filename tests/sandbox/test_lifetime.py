"""Nothing the agent started outlives it: SIGKILL the agent mid-command and every process it started is gone."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import pytest
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.procs import host_pids, wait_gone
from tests.sandbox.conftest import requires_sandbox

pytestmark = requires_sandbox


@pytest.mark.parametrize("flags", [[], ["--access-mode", "ask"], ["--access-mode", "full"]],
                         ids=["approve", "ask", "full"])
def test_sigkill_of_the_agent_takes_every_child_with_it(agent_cli, llm_server, flags, tmp_path):
    marker = f"{25 + len(flags)}.{uuid.uuid4().int % 10**9:09d}"
    late = f"/tmp/{marker}"  # in ask mode only /tmp is writable; the marker files land in the private /tmp
    daemon = f"(setsid nohup sh -c 'sleep {marker}1; echo late > {late}.daemon' >/dev/null 2>&1 &)"
    llm_server.script(Reply(tool_calls=[
        ToolCall("task", {"action": "start", "command": f"sleep {marker}2; echo late > {late}.task"}),
        ToolCall("bash", {"command": f"{daemon}; echo started; sleep {marker}3; echo late > {late}.bash"}),
    ]), Reply(text="never reached"))
    proc = subprocess.Popen([sys.executable, "-m", "codetether", "run", "--agent", "build", "--model", "openai/m",
                             *flags, "go"], cwd=agent_cli.cwd, env=agent_cli.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while len(host_pids(marker)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(host_pids(marker)) >= 3, "the commands never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        left = wait_gone(marker, within=2.0)
        assert left == [], _ps(left)
    finally:
        if proc.poll() is None:
            proc.kill()


def _ps(pids: list[int]) -> str:
    return subprocess.run(["ps", "-o", "pid,ppid,stat,args", "-p", ",".join(map(str, pids))], capture_output=True,
                          text=True).stdout
