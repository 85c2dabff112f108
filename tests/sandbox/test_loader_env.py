"""The loader's search path, passed through to bwrap on the host and to the lifeline
shell before it closes the pinned folders' descriptors (hostile review attack31).

LD_LIBRARY_PATH is kept in a command's environment (toolchains need it). An empty entry in it ("/opt/cuda/lib64:",
what `export LD_LIBRARY_PATH=/x:$LD_LIBRARY_PATH` leaves when it was unset) or a relative one means the current
folder: the workspace, which a command writes. bwrap (not setuid: user namespaces) ran on the host with that
environment and cwd, and loaded the command's `./libcap.so.2`: its code ran on the host, outside any sandbox. The
lifeline bash loaded `./libtinfo.so.6` with the pinned folder's descriptor still open: `/proc/self/fd/N/..` climbs
the host's tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.sandbox.conftest import requires_sandbox

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler to build the planted library")

_LIBCAP = r"""
#include <stdio.h>
int cap_from_name(const char *name, unsigned *value) { return -1; }  /* all bwrap takes from libcap */
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen(OUT "/pwned", "w");
    if (f) { fputs("ran on the host\n", f); fclose(f); }
}
"""

_LIBTINFO = r"""
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
char *BC, *UP, PC;
int tgetent(char *b, const char *n) { return -1; }
int tgetflag(const char *i) { return 0; }
int tgetnum(const char *i) { return -1; }
char *tgetstr(const char *i, char **a) { return 0; }
char *tgoto(const char *c, int x, int y) { return 0; }
int tputs(const char *s, int n, int (*p)(int)) { return 0; }
__attribute__((constructor)) static void planted(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char path[4096];
    while (d && (e = readdir(d))) {
        snprintf(path, sizeof path, "/proc/self/fd/%s/../../../../../../../../../.." OUT "/pwned", e->d_name);
        int fd = open(path, O_WRONLY | O_CREAT, 0644);
        if (fd >= 0) { write(fd, "escaped\n", 8); close(fd); }
    }
}
"""



def _build(source: str, soname: str, dest: Path, outside: Path, script: str | None = None) -> None:
    (dest.parent / "planted.c").write_text(source)
    extra = []
    if script is not None:
        (dest.parent / "planted.map").write_text(script)
        extra = [f"-Wl,--version-script={dest.parent / 'planted.map'}"]
    subprocess.run(["cc", "-shared", "-fPIC", f'-DOUT="{outside}"', f"-Wl,-soname,{soname}", *extra, "-o", str(dest),
                    str(dest.parent / "planted.c")], check=True)


def _run(sandbox, cwd: Path) -> subprocess.CompletedProcess[str]:
    wrapped = sandbox.wrap(["bash", "-c", "true"], cwd)
    return subprocess.run(wrapped.argv, cwd=cwd, env=wrapped.env, pass_fds=wrapped.pass_fds, capture_output=True,
                          text=True, check=False, timeout=60)


@requires_sandbox
@needs_cc
def test_bwrap_on_the_host_loads_no_library_a_command_planted_in_the_workspace(
        repo: Path, isolated_env, outside: Path, monkeypatch: pytest.MonkeyPatch):
    from codetether.sandbox import sandbox_for

    monkeypatch.setenv("LD_LIBRARY_PATH", "/nonexistent/lib:")  # the user's: an empty entry is the cwd
    monkeypatch.chdir(repo)
    _build(_LIBCAP, "libcap.so.2", repo / "libcap.so.2", outside)  # what a command may write in the workspace
    _run(sandbox_for(None, repo), repo)
    assert not (outside / "pwned").exists(), "bwrap ran the workspace's library on the host"


@requires_sandbox
@needs_cc
def test_the_lifeline_shell_loads_no_workspace_library_while_it_holds_a_pinned_folder(
        repo: Path, isolated_env, outside: Path, monkeypatch: pytest.MonkeyPatch):
    from codetether.sandbox import sandbox_for

    (repo / "sub").mkdir()
    monkeypatch.setenv("LD_LIBRARY_PATH", "/nonexistent/lib:")
    monkeypatch.chdir(repo / "sub")  # `sub` is pinned on the way to its .codetether
    _build(_LIBTINFO, "libtinfo.so.6", repo / "sub" / "libtinfo.so.6", outside,
           "NCURSES6_TINFO_5.0.19991023 { global: *; };")
    sandbox = sandbox_for(None, repo)
    wrapped = sandbox.wrap(["true"], repo / "sub")
    assert any(a.startswith("/proc/self/fd/") for a in _args(wrapped)), "no pin: the test proves nothing"
    _run(sandbox, repo / "sub")
    assert not (outside / "pwned").exists(), "the lifeline shell climbed a pinned folder's descriptor"


def _args(wrapped) -> list[str]:
    import os

    fd = int(wrapped.argv[wrapped.argv.index("--args") + 1])
    return os.pread(fd, 1 << 20, 0).decode().split("\0")


@requires_sandbox
def test_the_command_still_gets_the_loader_path(repo: Path, isolated_env, monkeypatch: pytest.MonkeyPatch):
    from tests.sandbox.conftest import run_in

    from codetether.sandbox import sandbox_for

    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/it's here:")
    proc = run_in(sandbox_for(None, repo), repo, 'printf %s "$LD_LIBRARY_PATH"')
    assert proc.stdout == "/opt/it's here:", proc.stderr


def test_programs_the_agent_runs_on_the_host_are_never_found_in_the_workspace(tmp_path: Path):
    """An empty or relative PATH entry is the current folder, a workspace the model writes: bwrap (which runs on the
    host, unsandboxed), the vault's binary and the clipboard tools are looked for in the system's folders and
    PATH's absolute entries only."""
    planted = tmp_path / "ws"
    planted.mkdir()
    marker = tmp_path / "ran"
    for name in ("bwrap", "bao", "xclip"):
        (planted / name).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (planted / name).chmod(0o755)
    script = ("from codetether.process import host_program\n"
              "from codetether.sandbox.probe import backend\n"
              "print([host_program(n) for n in ('bwrap', 'bao', 'xclip')], backend().bwrap)\n")
    env = {**os.environ, "PATH": f":.:ws:{os.environ['PATH']}"}
    env.pop("CODETETHER_BWRAP", None)
    proc = subprocess.run([sys.executable, "-c", script], cwd=planted, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert str(planted) not in proc.stdout and "'bwrap'" not in proc.stdout and "'./" not in proc.stdout, proc.stdout
    assert not marker.exists()
