"""Swarm end-to-end helpers: a git workspace, a swarm config, and a router answering by subtask text."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import API_KEY, Cli, cli, workspace  # noqa: F401 - fixtures, re-exported
from tests.harness.llm_server import Reply, ScriptItem, ToolCall

FAST_SWARM = """[swarm]
request_delay_ms = 0
max_concurrent_requests = 8
base_delay_ms = 10
max_delay_ms = 200
max_retries = 1
"""

GIT_ID = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *GIT_ID, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(workspace: Path) -> Path:  # noqa: F811 - the re-exported fixture
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "initial")
    return workspace


@pytest.fixture
def swarm_cli(cli: Cli, vault_clean, llm_server, tmp_path: Path) -> Cli:  # noqa: F811 - the re-exported fixture
    """The CLI with an OpenAI-dialect provider on the scripted server, a fast [swarm] config and its own TMPDIR."""
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    config_dir = Path(cli.env["XDG_CONFIG_HOME"]) / "codetether-agent"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text(FAST_SWARM)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cli.env["TMPDIR"] = str(tmp)
    return cli


def text_of(body: dict[str, Any], role: str) -> str:
    parts = []
    for message in body.get("messages", []):
        if message.get("role") != role:
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts.append(content or "")
    return "\n".join(parts)


def tool_results(body: dict[str, Any]) -> int:
    return sum(1 for m in body.get("messages", []) if m.get("role") == "tool")


def is_orchestrator(body: dict[str, Any]) -> bool:
    return "You are a task orchestrator" in text_of(body, "user") or "Repair this invalid swarm" in text_of(body,
                                                                                                            "user")


def plan_json(*subtasks: dict[str, Any]) -> str:
    return "```json\n" + json.dumps({"subtasks": list(subtasks)}) + "\n```"


def router(plan: str | list[str], agents: dict[str, list[ScriptItem]]) -> Callable[[dict[str, Any]], ScriptItem]:
    """Answer orchestrator requests with `plan` (a list: one per request), sub-agents by a marker in their task:
    each marker's replies are given by how many tool results its conversation already holds."""
    plans = [plan] if isinstance(plan, str) else list(plan)

    def route(body: dict[str, Any]) -> ScriptItem:
        if is_orchestrator(body):
            return Reply(plans.pop(0) if len(plans) > 1 else plans[0])
        task = text_of(body, "user")
        for marker, replies in agents.items():
            if marker in task:
                return replies[min(tool_results(body), len(replies) - 1)]
        return Reply("unrouted request")

    return route


def writes(path: str, content: str, summary: str) -> list[ScriptItem]:
    """A sub-agent that writes one file, then answers with `summary`."""
    return [Reply(tool_calls=[ToolCall("write", {"path": path, "content": content})]), Reply(summary)]


def worktrees(root: Path) -> list[str]:
    return [line for line in git(root, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree ")]


def swarm_branches(root: Path) -> list[str]:
    return git(root, "branch", "--list", "codetether/*", "--format=%(refname:short)").split()
