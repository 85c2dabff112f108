"""A pinned folder's descriptor, passed to bwrap for its bind, must not reach the command (hostile review attack30):
it names the folder on the host's mount, so `..` from it climbs the host's tree, past every sandbox mount."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tests.sandbox.conftest import requires_sandbox

# Every descriptor of every process in the sandbox that leads to a directory: each one climbed to the host's
# /var/tmp, where the command writes. (bash: no fd is named in the command, it finds them itself.)
_ESCAPE = r"""
for link in /proc/[0-9]*/fd/*; do
  [ -d "$link" ] || continue
  case "$(readlink "$link")" in /proc/*) continue ;; esac
  echo "leaked $link -> $(readlink "$link")"
  echo escaped > "$link/../../../../../../../../../../$OUT/pwned" 2>/dev/null
done
true
"""



def _run(wrapped, cwd: Path, outside: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wrapped.argv, cwd=cwd, env={**wrapped.env, "OUT": str(outside).lstrip("/")},
                          pass_fds=wrapped.pass_fds, capture_output=True, text=True, check=False, timeout=60)


@requires_sandbox
def test_a_command_in_a_subfolder_gets_no_pinned_folder_descriptor_to_climb_out_of_the_sandbox(
        repo: Path, isolated_env, outside: Path, monkeypatch: pytest.MonkeyPatch):
    """The agent started in `repo/sub`: `sub` is pinned on the way to its `.codetether`, bound from
    /proc/self/fd/N. bwrap does not close N, so the command held an O_PATH descriptor of `sub` on the host's
    mount, and `/proc/self/fd/N/../..` walked the host's tree: it wrote outside the workspace (and read the
    host's /tmp and every hidden secret)."""
    from codetether.sandbox import sandbox_for

    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    sandbox = sandbox_for(None, repo)
    wrapped = sandbox.wrap(["bash", "-c", _ESCAPE], repo / "sub")
    proc = _run(wrapped, repo / "sub", outside)
    assert proc.returncode == 0, proc.stderr
    assert not (outside / "pwned").exists(), proc.stdout
    assert "leaked" not in proc.stdout


@requires_sandbox
def test_a_home_workspace_background_task_gets_no_pinned_config_descriptor(
        tmp_path: Path, isolated_env, outside: Path, monkeypatch: pytest.MonkeyPatch):
    """A run in $HOME pins `~/.config` on the way to `~/.config/codetether-agent`; the task tool's background
    process (Popen, as tool/task.py starts it) must not inherit its descriptor either."""
    from codetether.sandbox import sandbox_for

    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.chdir(home)
    sandbox = sandbox_for(None, home)
    wrapped = sandbox.wrap(["bash", "-c", _ESCAPE], home)
    assert any(a.startswith("/proc/self/fd/") for a in _args(wrapped)), "no pin: the test proves nothing"
    proc = subprocess.Popen(wrapped.argv, cwd=home, env={**wrapped.env, "OUT": str(outside).lstrip("/")},
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, pass_fds=wrapped.pass_fds, text=True)
    out, _ = proc.communicate(timeout=60)
    assert not (outside / "pwned").exists(), out
    assert "leaked" not in out


def _args(wrapped) -> list[str]:
    fd = int(wrapped.argv[wrapped.argv.index("--args") + 1])
    return os.pread(fd, 1 << 20, 0).decode().split("\0")
