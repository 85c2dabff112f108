"""A directory swapped for a symlink while a search runs: the search must not read what lies outside."""

from __future__ import annotations

import sys

from tests.harness.llm_server import Reply, ToolCall
from tests.sandbox.conftest import requires_sandbox

pytestmark = requires_sandbox

# Swaps the workspace's `d` (a real directory) and `lnk` (a symlink to the secrets' directory) atomically and
# continually, so some tool calls check `d` as the directory and open it as the symlink.
SWAPPER = r"""
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
end = time.time() + 40
while time.time() < end:
    libc.syscall(316, -100, b"d", -100, b"lnk", 2)  # renameat2(RENAME_EXCHANGE), x86_64
    time.sleep(0.0003)
"""


def test_grep_never_reads_through_a_directory_swapped_for_a_link(agent_cli, llm_server, outside):
    (outside / "secrets" / "notes").write_text("secret-marker-3f9a\n")
    ws = agent_cli.cwd
    (ws / "swap.py").write_text(SWAPPER)
    (ws / "d").mkdir()
    (ws / "d" / "notes").write_text("harmless-marker\n")
    (ws / "lnk").symlink_to(outside / "secrets")
    calls = [ToolCall("task", {"action": "start", "command": f"{sys.executable} swap.py"}),
             ToolCall("bash", {"command": "sleep 1"})]
    # Each call differs (the doom-loop guard stops identical ones): a directory searched by ripgrep, a file
    # searched by the Python scan.
    calls += [ToolCall("grep", {"pattern": "marker", "path": "d", "limit": i + 1}) for i in range(150)]
    calls += [ToolCall("grep", {"pattern": "marker", "path": "d/notes", "limit": i + 1}) for i in range(100)]
    llm_server.script(Reply(tool_calls=calls), Reply(text="done"))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert len(results) == len(calls)
    assert not any("secret-marker" in r for r in results), [r for r in results if "secret-marker" in r][:3]
    assert any("harmless-marker" in r for r in results[2:152]) and any("harmless-marker" in r for r in results[152:])


def test_codesearch_never_indexes_or_shows_through_a_directory_swapped_for_a_link(agent_cli, llm_server, outside):
    (outside / "secrets" / "notes.py").write_text("def secret_marker_cs():\n    return 'zz'\n")
    ws = agent_cli.cwd
    (ws / "swap.py").write_text(SWAPPER.replace("0.0003", "0.002"))
    (ws / "d").mkdir()
    (ws / "d" / "notes.py").write_text("def harmless_marker():\n    return 1\n")
    (ws / "lnk").symlink_to(outside / "secrets")
    calls = [ToolCall("task", {"action": "start", "command": f"{sys.executable} swap.py"}),
             ToolCall("bash", {"command": "sleep 1"})]
    calls += [ToolCall("codesearch", {"query": "marker " + "x" * i, "limit": 5}) for i in range(60)]
    llm_server.script(Reply(tool_calls=calls), Reply(text="done"))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert len(results) == len(calls)
    leaked = [r for r in results if "secret_marker_cs" in r or "'zz'" in r]
    assert not leaked, leaked[:2]
    assert any("harmless_marker" in r for r in results[2:])


def _swapping(agent_cli, outside, marker: str) -> list[ToolCall]:
    """`d` (holding `harmless-name`) and `lnk` (to the secrets' directory, holding `vault-token` and `marker`)
    swap places continually from a background task; the calls that start it and let it run."""
    (outside / "secrets" / marker).write_text("x\n")
    ws = agent_cli.cwd
    (ws / "swap.py").write_text(SWAPPER)
    (ws / "d").mkdir()
    (ws / "d" / "harmless-name").write_text("x\n")
    (ws / "lnk").symlink_to(outside / "secrets")
    return [ToolCall("task", {"action": "start", "command": f"{sys.executable} swap.py"}),
            ToolCall("bash", {"command": "sleep 1"})]


def _results_without(llm_server, calls: list[ToolCall], *names: str) -> list[str]:
    results = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert len(results) == len(calls)
    leaked = [(i, r) for i, r in enumerate(results) if any(name in r for name in names)]
    assert not leaked, leaked[:3] + leaked[-3:]
    return results


def test_glob_never_names_files_through_a_directory_swapped_for_a_link(agent_cli, llm_server, outside):
    calls = _swapping(agent_cli, outside, "secret-name-7c1e")
    # The swapped directory as the start, then as a directory met on the walk.
    calls += [ToolCall("glob", {"pattern": "**/*", "path": "d", "limit": i + 1}) for i in range(150)]
    calls += [ToolCall("glob", {"pattern": "d/**", "path": ".", "limit": i + 1}) for i in range(150)]
    llm_server.script(Reply(tool_calls=calls), Reply(text="done"))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = _results_without(llm_server, calls, "secret-name-7c1e", "vault-token")
    seen = [sum("harmless-name" in r for r in part) for part in (results[2:152], results[152:])]
    assert all(seen), (seen, results[2:5], results[152:155])


def test_list_never_names_files_through_a_directory_swapped_for_a_link(agent_cli, llm_server, outside):
    calls = _swapping(agent_cli, outside, "secret-name-52b0")
    # Alternate spellings of the same path: the doom-loop guard holds identical calls in a row.
    calls += [ToolCall("list", {"path": "d" if i % 2 else "./d"}) for i in range(300)]
    llm_server.script(Reply(tool_calls=calls), Reply(text="done"))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = _results_without(llm_server, calls, "secret-name-52b0", "vault-token")
    assert any("harmless-name" in r for r in results[2:])
