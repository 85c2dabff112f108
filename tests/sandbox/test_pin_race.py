"""Folders pinned on the way to a guarded path, raced by a background task whose own sandbox never pinned them:
no bind ever reaches outside the workspace (hostile review attack29)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from tests.sandbox.conftest import requires_sandbox

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.02)


@requires_sandbox
def test_a_linked_codetether_re_pointed_by_a_background_task_does_not_pin_a_folder_it_can_swap_out(
        repo: Path, isolated_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The repository tracks `.codetether -> a/ct` (supported). A background `task` started then has no pin on
    `a` (a link led there), so it may re-point `.codetether` (a link can't be pinned): from then on `a/ct` is on
    a linkless way, and the next command's wrap() pins `a`, bound WRITABLE over itself by path. The task swaps
    `a` for a link out of the workspace before bwrap binds it: bwrap follows the link on both sides and the
    command writes outside the workspace (a folder that holds the link's last name: `.codetether -> a/.config`,
    `a` swapped for a relative link to ~). (The task syncs on marker files here; a loop toggling `a` wins it.)"""
    from codetether.sandbox import sandbox_for

    (repo / "a" / "ct").mkdir(parents=True)
    (repo / "a" / "ct" / "config.toml").write_text("# the project's\n")
    (repo / ".codetether").symlink_to("a/ct")
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "linked config"], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    outside = Path("/var/tmp") / f"attack29-{os.getpid()}-{tmp_path.name}"  # not /tmp: each sandbox has its own
    (outside / "ct").mkdir(parents=True)  # the link's last name, which the target has (`a/.config`, `a` -> ~)
    sandbox = sandbox_for(None, repo)
    task = sandbox.wrap(["sh", "-c", "rm .codetether && mkdir .codetether && touch step1 && "
                                     "while [ ! -e go ]; do sleep 0.01; done; "
                                     f"mv a a.old && ln -s {os.path.relpath(outside, repo)} a && touch step2"], repo)
    background = subprocess.Popen(task.argv, cwd=repo, env=task.env, pass_fds=task.pass_fds,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(repo / "step1", background)
        command = sandbox.wrap(["sh", "-c", f"echo escaped > {outside}/pwned"], repo)  # the agent's wrap()
        (repo / "go").touch()
        _wait_for(repo / "step2", background)  # the task's swap, before bwrap binds the pin
        proc = subprocess.run(command.argv, cwd=repo, env=command.env, pass_fds=command.pass_fds,
                              capture_output=True, text=True, check=False)
        assert not (outside / "pwned").exists(), (proc.stderr, "a pin bound a folder outside the workspace writable")
    finally:
        background.kill()
        background.wait()
        shutil.rmtree(outside, ignore_errors=True)
