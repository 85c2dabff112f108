"""What a one-shot run starts of its own before the model answers: the sandbox probe once, the project's git facts
in one sandbox, and no git where no repository can be (counted from a bwrap that logs each start; never timed)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.conftest import Cli
from tests.harness.llm_server import Reply
from tests.sandbox.conftest import requires_sandbox

from codetether.sandbox.own import enclosing_repository

pytestmark = requires_sandbox


def _logging_bwrap(tmp_path: Path) -> tuple[Path, Path]:
    """A bwrap that writes each command line it is given to a log, then is the real one."""
    log, script = tmp_path / "bwrap.log", tmp_path / "bwrap"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{shutil.which("bwrap")}" "$@"\n')
    script.chmod(0o755)
    return script, log


def _run(cli: Cli, llm_server, tmp_path: Path, *agent: str) -> tuple[list[str], str]:
    """(the bwrap starts, the system prompt) of one `codetether run`."""
    bwrap, log = _logging_bwrap(tmp_path)
    log.unlink(missing_ok=True)
    llm_server.script(Reply(text="Done."))
    proc = cli("run", "--model", "openai/m", *agent, "say hi", env={**cli.env, "CODETETHER_BWRAP": str(bwrap)})
    assert proc.returncode == 0, proc.stderr
    messages = llm_server.requests[-1].body["messages"]
    return (log.read_text().splitlines() if log.exists() else []), str(messages[0]["content"])


def test_in_a_repository_the_probe_runs_once_and_git_in_one_sandbox(agent_cli, llm_server, tmp_path):
    starts, system = _run(agent_cli, llm_server, tmp_path, "--agent", "build")
    probes = [s for s in starts if "--args" not in s]
    git = [s for s in starts if 'eval "$(cat)"' in s]  # the git commands go in on stdin, in no argv
    assert len(probes) == 1, starts  # two threads asked for it at once; it still ran once
    assert len(git) == 1, starts  # five facts, one sandbox
    assert len(starts) == 2, starts
    assert "Git branch: " in system and "(clean)" in system, system  # and the facts arrived


def test_outside_a_repository_no_git_runs(agent_cli, llm_server, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert enclosing_repository(plain) is None  # nothing above the test's directory is a repository either
    cli = Cli(agent_cli.env, plain)
    starts, system = _run(cli, llm_server, tmp_path)
    assert starts == [], starts  # chat has no tools: no probe, and no repository for git to read
    assert "Not a git repository" in system, system
    starts, _ = _run(cli, llm_server, tmp_path, "--agent", "build")
    assert len(starts) == 1 and "--args" not in starts[0], starts  # the probe, for the build agent's tools
