"""The agent's own git in a hostile repository: its filters never run outside a sandbox unless the user opted in,
a bwrap that can't apply --disable-userns still sandboxes, the repository's config can't move the workspace, and
the token framing git's answers is in no process's argv (found by a hostile review of the one-shot speed-up)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.harness.llm_server import Reply, ToolCall
from tests.sandbox.conftest import requires_sandbox

from codetether.gitinfo import git_lines

pytestmark = requires_sandbox
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]


def _plant_filter(repo: Path, marker: Path) -> None:
    """A clean filter that `git status` runs on a file whose stat changed: it writes `marker` if it can."""
    filter_script = repo / "evil.sh"
    filter_script.write_text(f"#!/bin/sh\necho ran > {marker} 2>/dev/null\ncat\n")
    filter_script.chmod(0o755)
    (repo / ".gitattributes").write_text("*.py filter=evil\n")
    subprocess.run([*GIT, "config", "filter.evil.clean", str(filter_script)], cwd=repo, check=True)
    stat = (repo / "app.py").stat()  # same size, newer time: status must read it again, through the filter
    os.utime(repo / "app.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def _bwrap_without_disable_userns(tmp_path: Path) -> Path:
    """A bwrap that knows --disable-userns but can't apply it (as a setuid build can't); else the real one."""
    script = tmp_path / "bwrap"
    script.write_text(
        "#!/bin/sh\nprev=\nfor a in \"$@\"; do\n"
        "  if [ \"$a\" = --disable-userns ] || { [ \"$prev\" = --args ] && tr '\\0' '\\n' < /proc/self/fd/$a"
        " | grep -qx -- --disable-userns; }; then\n"
        "    echo 'bwrap: sysctl user.max_user_namespaces = 1: Permission denied' >&2; exit 1\n  fi\n"
        f"  prev=$a\ndone\nexec {shutil.which('bwrap')} \"$@\"\n")
    script.chmod(0o755)
    return script


def test_a_bwrap_that_cannot_disable_userns_still_sandboxes_git_and_commands(agent_cli, llm_server, outside,
                                                                             tmp_path):
    marker = outside / "filter-ran"
    _plant_filter(agent_cli.cwd, marker)
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "echo ok > done.txt"})]), Reply(text="done"))
    env = {**agent_cli.env, "CODETETHER_BWRAP": str(_bwrap_without_disable_userns(tmp_path))}
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", env=env)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()  # the filter ran, if at all, where it can't write
    assert (agent_cli.cwd / "done.txt").read_text() == "ok\n"  # commands run: the sandbox is there


def test_without_a_sandbox_the_agents_own_git_runs_only_if_the_user_opted_in(agent_cli, llm_server, outside):
    marker = outside / "filter-ran"
    _plant_filter(agent_cli.cwd, marker)
    env = {**agent_cli.env, "CODETETHER_BWRAP": "/nonexistent/bwrap"}
    llm_server.script(Reply(text="Done."))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "say hi", env=env)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    llm_server.script(Reply(text="Done."))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "--access-mode", "full", "say hi", env=env)
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()  # opted in: git runs as it is, the repository's filter with it


def test_the_repositorys_config_cannot_move_the_workspace(agent_cli, llm_server, outside):
    subprocess.run([*GIT, "config", "core.worktree", str(outside)], cwd=agent_cli.cwd, check=True)
    target = outside / "existing"
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": f"echo pwned > {target}; echo ok > here"})]),
                      Reply(text="done"))
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go")
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == "original\n"
    assert (agent_cli.cwd / "here").read_text() == "ok\n"  # the workspace is still where the .git is


def test_the_token_framing_gits_answers_is_in_no_argv(repo: Path):
    """A program git starts (here an alias; a filter could do the same) reads every command line it can see."""
    peek = "alias.peek=!cat /proc/[0-9]*/cmdline | tr '\\000' ' '"
    seen, branch = git_lines(repo, ("-c", peek, "peek"), ("symbolic-ref", "--short", "-q", "HEAD"))
    assert seen is not None and "peek" in seen  # it did see the command lines
    assert "printf" not in seen and "symbolic-ref" not in seen  # not the script, so not its token
    assert branch in ("main", "master")


def test_replay_reads_a_hostile_repository_inside_the_sandbox(tmp_path, outside):
    """A partial clone whose promisor remote is a program: looking for a missing commit runs it, as the agent's
    own git does anywhere, so it runs where it can't write (it used to run on the host, Vault token in reach)."""
    from codetether.errors import CodetetherError
    from codetether.session.replay import checkout

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", "root"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", "gone"], cwd=repo, check=True)
    gone = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD~1"], cwd=repo, check=True)
    (repo / ".git" / "objects" / gone[:2] / gone[2:]).unlink()
    marker, helper = outside / "fetched", repo / "fetch.sh"
    helper.write_text(f"#!/bin/sh\necho ran > {marker}\n")
    helper.chmod(0o755)
    for key, value in (("core.repositoryformatversion", "1"), ("extensions.partialClone", "origin"),
                       ("remote.origin.promisor", "true"), ("remote.origin.url", f"ext::{helper}"),
                       ("protocol.ext.allow", "always")):
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)
    with pytest.raises(CodetetherError, match="is not in the repository"):
        checkout(repo, gone, tmp_path / "dest")
    assert not marker.exists()


def test_the_users_config_is_out_of_reach_when_the_workspace_holds_it(agent_cli, llm_server):
    """Run in $HOME, the workspace holds the user's config, which names the MCP servers the next run starts."""
    config = agent_cli.cwd / ".config" / "codetether-agent" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# mine\n")
    llm_server.script(Reply(tool_calls=[
        ToolCall("bash", {"command": f"echo '[mcp.servers.x]' >> {config}; echo ok > here"}),
        ToolCall("write", {"path": str(config), "content": "[mcp.servers.x]\n"})]), Reply(text="done"))
    env = {**agent_cli.env, "XDG_CONFIG_HOME": str(agent_cli.cwd / ".config")}
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "--yes", "go", env=env)
    assert proc.returncode == 0, proc.stderr
    assert config.read_text() == "# mine\n"
    assert (agent_cli.cwd / "here").read_text() == "ok\n"  # the rest of the workspace stays writable
    results = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert "your codetether configuration" in results[1], results


def test_a_passing_probe_failure_keeps_the_sandbox_whole(tmp_path):
    """bwrap failing once (EAGAIN while another sandbox forks) must not cost the sandbox --disable-userns."""
    count, script = tmp_path / "count", tmp_path / "bwrap"
    script.write_text(f"#!/bin/sh\nif [ ! -e {count} ]; then touch {count}; "
                      "echo 'bwrap: Creating new namespace failed: Resource temporarily unavailable' >&2; exit 1; fi\n"
                      f"exec {shutil.which('bwrap')} \"$@\"\n")
    script.chmod(0o755)
    probe = "from codetether.sandbox.probe import backend; b = backend(); print(b.available, b.disable_userns)"
    out = subprocess.run([sys.executable, "-c", probe], env={**os.environ, "CODETETHER_BWRAP": str(script)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"]


def test_a_missing_user_config_folder_cannot_be_created_in_the_workspace(agent_cli, llm_server):
    folder = agent_cli.cwd / ".config" / "codetether-agent"
    folder.parent.mkdir()
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {
        "command": f"mkdir -p {folder}; echo '[mcp.servers.x]' > {folder}/config.toml; echo ok > here"})]),
        Reply(text="done"))
    env = {**agent_cli.env, "XDG_CONFIG_HOME": str(folder.parent)}
    proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", env=env)
    assert proc.returncode == 0, proc.stderr
    assert not (folder / "config.toml").exists()
    assert (agent_cli.cwd / "here").read_text() == "ok\n"


def test_the_agents_own_git_never_fetches_missing_objects(repo: Path):
    """GIT_NO_LAZY_FETCH reaches git inside the sandbox (a partial clone's promisor remote names a program)."""
    [seen] = git_lines(repo, ("-c", "alias.env=!env", "env"))
    assert seen is not None and "GIT_NO_LAZY_FETCH=1" in seen.splitlines()
