"""The user's config folder (which names the MCP servers the next run starts unsandboxed) when a workspace or a
repository the agent's git may write holds it (a run in $HOME), and no git of the agent's on the host where there
is no sandbox: hostile review attack26."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.sandbox.conftest import requires_sandbox, run_in

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
PLANT = "[mcp.servers.evil]\ncommand = 'sh'\n"


@pytest.fixture
def home_repo(isolated_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository that holds the user's config folder (a dotfiles repository in $HOME), the folder there."""
    from codetether.sandbox import own

    home = tmp_path / "home"
    subprocess.run([*GIT, "init", "-q"], cwd=home, check=True)
    (home / "app.py").write_text("x = 1\n")
    subprocess.run([*GIT, "add", "app.py"], cwd=home, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=home, check=True)
    (home / ".config" / "codetether-agent").mkdir(parents=True)
    (home / ".config" / "codetether-agent" / "config.toml").write_text("# mine\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for cached in (own._sandbox, own._configured_hidden, own._unsandboxed_allowed):
        cached.cache_clear()
    return home


def _plant_clean_filter(repo: Path, script: str) -> None:
    """What a model (or a hostile checkout) can write: a clean filter that `git add` runs on a changed file."""
    evil = repo / "evil.sh"
    evil.write_text(f"#!/bin/sh\n{script}\ncat\n")
    evil.chmod(0o755)
    (repo / ".gitattributes").write_text("*.py filter=evil\n")
    subprocess.run(["git", "config", "filter.evil.clean", str(evil)], cwd=repo, check=True)
    (repo / "app.py").write_text("x = 2\n")



@requires_sandbox
def test_the_agents_writable_git_cannot_plant_the_users_config(home_repo: Path):
    """Ralph's `git add -A` (writable: the repository) runs the repository's clean filter in a sandbox that used to
    protect nothing: it wrote the user's config, whose MCP servers the next run starts unsandboxed."""
    from codetether.ralph import git as ralph

    config = home_repo / ".config" / "codetether-agent" / "config.toml"
    _plant_clean_filter(home_repo, f"printf '{PLANT}' >> {config} 2>/dev/null")
    ralph.commit_all(home_repo, "story")
    assert config.read_text() == "# mine\n"


@requires_sandbox
@pytest.mark.parametrize("who", ["model", "own git"])
def test_the_users_config_folder_cannot_be_swapped_by_renaming_its_parent(home_repo: Path, who: str):
    """The folder is mounted read-only, but its parent (.config) is a plain directory of the writable workspace: a
    command renamed it away and made a new .config/codetether-agent/config.toml in its place."""
    from codetether.config.paths import config_file
    from codetether.sandbox import sandbox_for

    swap = (f"cd {home_repo} && mv .config .config.old && mkdir -p .config/codetether-agent && "
            f"printf '{PLANT}' > .config/codetether-agent/config.toml")
    if who == "model":
        proc = run_in(sandbox_for(None, home_repo), home_repo, swap + "; echo ok > here")
        assert (home_repo / "here").read_text() == "ok\n", proc.stderr  # the rest of $HOME stays writable
    else:
        from codetether.ralph import git as ralph

        _plant_clean_filter(home_repo, swap + " 2>/dev/null")
        ralph.commit_all(home_repo, "story")
    assert config_file().read_text() == "# mine\n"


@requires_sandbox
def test_a_missing_config_parent_cannot_be_made_to_hold_the_users_config(isolated_env, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    """A run in a $HOME with no .config yet: the folder's parent is missing too, and nothing guarded it."""
    from codetether.config.paths import config_file
    from codetether.sandbox import sandbox_for

    home = tmp_path / "fresh-home"
    subprocess.run(["git", "init", "-q", str(home)], check=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    proc = run_in(sandbox_for(None, home), home, f"mkdir -p {config_file().parent} && "
                                                  f"printf '{PLANT}' > {config_file()}; echo ok > {home}/here")
    assert not config_file().exists(), proc.stderr
    assert (home / "here").read_text() == "ok\n"


def test_without_a_sandbox_no_caller_runs_git_on_the_host(repo: Path, tmp_path: Path, isolated_env):
    """bwrap missing, default config: gitinfo, Ralph, swarm worktrees, replay and the k8s probe are all refused
    (or see no repository); the planted filter, alias-free, never runs."""
    marker = Path("/var/tmp") / f"attack26-{os.getpid()}-{tmp_path.name}"
    _plant_clean_filter(repo, f"touch {marker}")
    (repo / "app.py").touch()
    script = textwrap.dedent(f"""
        import asyncio, sys
        from pathlib import Path
        from codetether.gitinfo import git_lines, project_for, run_git
        from codetether.sandbox.own import OwnCommandRefused
        repo = Path({str(repo)!r})
        assert git_lines(repo, ("status",)) == [None]
        assert git_lines(repo, ("status",), ("rev-parse", "HEAD")) == [None, None]
        assert project_for(repo).id.startswith("path:")
        for call in (lambda: run_git(repo, "status"), lambda: run_git(repo, "add", "-A", writable=[repo])):
            try:
                call()
                sys.exit("ran")
            except OwnCommandRefused:
                pass
        from codetether.ralph import git as ralph
        try:
            ralph.commit_all(repo, "x")
            sys.exit("ralph ran")
        except OwnCommandRefused:
            pass
        from codetether.swarm.worktree import Worktrees, git_unusable
        assert git_unusable(repo) is not None
        trees = Worktrees(repo, "a26")
        try:
            asyncio.run(trees.start())
            sys.exit("swarm ran")
        except OwnCommandRefused:
            pass
        trees.cleanup()
        from codetether.errors import CodetetherError
        from codetether.session.replay import checkout
        try:
            checkout(repo, "HEAD", Path({str(tmp_path / "dest")!r}))
            sys.exit("replay ran")
        except CodetetherError:
            pass
        print("refused")
    """)
    env = {**os.environ, "CODETETHER_BWRAP": "/nonexistent/bwrap"}
    try:
        proc = subprocess.run([sys.executable, "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.stdout.strip() == "refused", proc.stderr
        assert not marker.exists()
    finally:
        marker.unlink(missing_ok=True)


@requires_sandbox
def test_the_agents_writable_git_cannot_plant_project_skills(repo: Path, isolated_env):
    """The model can't write .codetether; its clean filter, run by Ralph's `git add -A`, can't either."""
    from codetether.ralph import git as ralph
    from codetether.sandbox import own

    own._sandbox.cache_clear()
    skill = repo / ".codetether" / "skills" / "x" / "SKILL.md"
    _plant_clean_filter(repo, f"mkdir -p {skill.parent} && echo planted > {skill}")
    ralph.commit_all(repo, "story")
    assert not skill.exists()


@requires_sandbox
def test_a_replay_checkout_still_writes_the_project_config_its_commit_holds(repo: Path, tmp_path: Path, isolated_env):
    """The one writable git that may: a replay reproduces the commit, its .codetether and codetether.toml too."""
    from codetether.session.replay import checkout

    (repo / ".codetether" / "skills" / "s").mkdir(parents=True)
    (repo / ".codetether" / "skills" / "s" / "SKILL.md").write_text("kept\n")
    (repo / "codetether.toml").write_text("# project\n")
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "config"], cwd=repo, check=True)
    dest = tmp_path / "replayed"
    checkout(repo, "HEAD", dest)
    assert (dest / ".codetether" / "skills" / "s" / "SKILL.md").read_text() == "kept\n"
    assert (dest / "codetether.toml").read_text() == "# project\n"
