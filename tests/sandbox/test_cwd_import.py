"""The agent's own Python imports a module a command planted in the workspace (hostile review
attack32).

`python -m codetether` (how the test suite itself starts the CLI, and what `__main__.py` offers) puts the current
folder first on sys.path: the workspace, which every command writes. A module the agent imports lazily, after a
command ran, is then looked for there before site-packages. codesearch parses a `.go` file with the grammar it
imports on first use (`tree_sitter_go`): it loaded the command's `./tree_sitter_go.py` in the agent's own
process, on the host, outside any sandbox."""

from __future__ import annotations

from pathlib import Path

from tests.harness.llm_server import Reply, ToolCall
from tests.sandbox.conftest import requires_sandbox

_PLANT = """printf 'package main\\nfunc main() {{}}\\n' > main.go
echo 'open("{out}/pwned", "w").write("ran in the agent on the host")' > tree_sitter_go.py
echo planted"""


@requires_sandbox
def test_the_agent_imports_nothing_a_command_planted_in_the_workspace(agent_cli, llm_server, outside: Path):
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": _PLANT.format(out=outside)})]),
                      Reply(tool_calls=[ToolCall("codesearch", {"query": "main"})]),
                      Reply(text="done"))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", timeout=120)
    assert (agent_cli.cwd / "tree_sitter_go.py").exists(), proc.stdout + proc.stderr  # the command wrote it
    assert "codesearch" in proc.stderr, proc.stdout + proc.stderr
    assert not (outside / "pwned").exists(), "the agent imported the workspace's tree_sitter_go.py on the host"
