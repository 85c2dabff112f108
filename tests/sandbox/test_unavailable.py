"""Where the kernel can't sandbox, say so once, clearly, and run commands only if the user opted in."""

from __future__ import annotations

from pathlib import Path

from tests.harness.llm_server import Reply, ToolCall


def _script(llm_server) -> None:
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "echo ran > ran.txt"}),
                                        ToolCall("bash", {"command": "echo again"})]), Reply(text="done"))


def test_no_sandbox_refuses_commands_and_says_so_once(agent_cli, llm_server):
    env = {**agent_cli.env, "CODETETHER_BWRAP": "/nonexistent/bwrap"}
    _script(llm_server)
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", env=env)
    assert proc.returncode == 0, proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "the sandbox is unavailable" in warning[0], proc.stderr
    assert "bubblewrap (bwrap) is not installed" in warning[0] and "apt install bubblewrap" in warning[0]
    assert "--access-mode full" in warning[0] and "required = false" in warning[0]
    results = [m["content"] for m in llm_server.requests[1].body["messages"] if m["role"] == "tool"]
    assert all("sandbox is unavailable" in r for r in results), results
    assert not (agent_cli.cwd / "ran.txt").exists()


def test_opting_in_runs_unsandboxed_with_a_warning(agent_cli, llm_server):
    env = {**agent_cli.env, "CODETETHER_BWRAP": "/nonexistent/bwrap"}
    config = Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    for flags, setup in ((["--access-mode", "full"], None), ([], "[sandbox]\nrequired = false\n")):
        if setup:
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(setup)
        (agent_cli.cwd / "ran.txt").unlink(missing_ok=True)
        _script(llm_server)
        proc = agent_cli("run", "--agent", "build", "--model", "openai/m", *flags, "go", env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.count("WITHOUT a sandbox") == 1, proc.stderr
        assert (agent_cli.cwd / "ran.txt").read_text() == "ran\n"
