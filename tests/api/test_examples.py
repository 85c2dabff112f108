"""Every example in docs/examples runs as a user would run it (`python docs/examples/X.py WORKSPACE`), the scripted
model behind it, and does what docs/api.md says it does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import tool_results
from tests.harness.llm_server import Reply, ToolCall

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def example(name: str, env: dict[str, str], workspace: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / name), str(workspace)], env=env, cwd=workspace,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)


def test_every_example_is_tested():
    tested = {"embed_agent.py", "stream_events.py", "python_tool.py", "deny_permission.py", "serve_a2a.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested
    documented = (EXAMPLES.parent / "api.md").read_text()
    assert all(f"examples/{name}" in documented for name in tested)


def test_embed_agent(api_env, llm_server, workspace):
    llm_server.script(
        Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
        Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"', "new_string": '"hello"'})]),
        Reply(tool_calls=[ToolCall("bash", {"command": "python3 app.py"})]),
        Reply(text="Fixed the typo; app.py prints hello."))
    proc = example("embed_agent.py", api_env, workspace)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Fixed the typo; app.py prints hello."
    assert "[completed, 4 steps, session " in proc.stderr
    assert '"hello"' in (workspace / "app.py").read_text()
    assert "hello" in tool_results(llm_server.requests[-1].body)[-1]  # the command really ran the fixed file


def test_stream_events(api_env, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo."))
    proc = example("stream_events.py", api_env, workspace)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "It prints helo."
    assert '-> read {"path": "app.py"}' in proc.stderr and "<- read ok" in proc.stderr
    assert "[completed]" in proc.stderr


def test_python_tool(api_env, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("lookup_ticket", {"ticket": "BUG-7"})]),
                      Reply(tool_calls=[ToolCall("lookup_ticket", {"ticket": "BUG-9"})]),
                      Reply(text="BUG-7: the greeting is misspelled."))
    proc = example("python_tool.py", api_env, workspace)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "BUG-7: the greeting is misspelled."
    first = llm_server.requests[0].body
    offered = next(t["function"] for t in first["tools"] if t["function"]["name"] == "lookup_ticket")
    assert offered["parameters"]["properties"]["detail"]["enum"] == ["title", "all"]
    results = tool_results(llm_server.requests[-1].body)
    assert results[0] == "Greeting is misspelled as 'helo' in app.py"
    assert "no ticket BUG-9" in results[1]  # the function's ToolError reached the model


@pytest.mark.parametrize("path", ["app.py", "docs/notes.md"])
def test_deny_permission(api_env, llm_server, workspace, path):
    llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": path, "content": "print('hello')\n"})]),
                      Reply(text="Done what I could."))
    proc = example("deny_permission.py", api_env, workspace)
    assert proc.returncode == 0, proc.stderr
    result = tool_results(llm_server.requests[1].body)[0]
    if path == "app.py":
        assert "denied: write (changes files)" in proc.stderr
        assert "declined" in result and "helo" in (workspace / "app.py").read_text()
    else:
        assert "allowed: write" in proc.stderr
        assert (workspace / path).read_text() == "print('hello')\n"


def test_serve_a2a(api_env, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo."))
    proc = example("serve_a2a.py", api_env, workspace)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "It prints helo."
    assert "serving on http://localhost:" in proc.stderr and ": completed; context " in proc.stderr
    assert "helo" in tool_results(llm_server.requests[1].body)[0]
