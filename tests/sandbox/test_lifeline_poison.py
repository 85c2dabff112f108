"""A command that writes into every pipe it can reopen through /proc must not end other commands."""

from __future__ import annotations

import sys

from tests.harness.llm_server import Reply, ToolCall
from tests.sandbox.conftest import requires_sandbox

pytestmark = requires_sandbox

# Reopens each pipe its sandbox's processes hold (the lifeline's read end among them) for writing, and writes
# newlines into it: what a watcher that ends its sandbox on any input would take for the agent's death.
POISON = """
import glob, os
for path in glob.glob('/proc/[0-9]*/fd/*'):
    try:
        if os.readlink(path).startswith('pipe:'):
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.write(fd, b'\\n' * 64)
            os.close(fd)
    except OSError:
        pass
"""


def test_a_line_written_into_the_lifeline_ends_nothing(agent_cli, llm_server):
    (agent_cli.cwd / "poison.py").write_text(POISON)
    calls = [ToolCall("task", {"action": "start", "command": "sleep 30"}),
             ToolCall("bash", {"command": "sleep 1", "timeout": 20}),
             ToolCall("bash", {"command": f"{sys.executable} poison.py; sleep 1; echo poisoned", "timeout": 20}),
             ToolCall("bash", {"command": "sleep 1; echo next-command-ran", "timeout": 20}),
             ToolCall("task", {"action": "list"})]
    llm_server.script(Reply(tool_calls=calls), Reply(text="done"))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert "poisoned" in results[2], results
    assert "next-command-ran" in results[3] and "exit code 0" in results[3], results
    assert "running" in results[4] and "exited" not in results[4], results
