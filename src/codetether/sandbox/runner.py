"""One agent's sandbox: wraps each command the agent's tools start, owns the private /tmp they share."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, replace
from pathlib import Path

from codetether.process import alive
from codetether.sandbox import landlock, lifeline, seccomp
from codetether.sandbox.bwrap import args_fd, bwrap_options
from codetether.sandbox.env import tool_environment
from codetether.sandbox.gitdir import linked_common_dir
from codetether.sandbox.policy import FsAccess, SandboxPolicy, fs_access_for
from codetether.sandbox.probe import Backend, backend


@dataclass(frozen=True)
class Wrapped:
    """What to execute instead of a command: its argv, environment and the fds it must inherit.

    `owned` fds are this object's (bwrap's argument file): closed when it is dropped, once the child has them."""

    argv: list[str]
    env: dict[str, str]
    pass_fds: tuple[int, ...] = ()
    owned: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for fd in self.owned:
            weakref.finalize(self, os.close, fd)


class SandboxUnavailable(Exception):
    """The kernel can't sandbox here and the user has not opted in to running commands unsandboxed."""


class Sandbox:
    """Every process a tool starts goes through `wrap`: the policy, not the call site, decides what it may do."""

    def __init__(self, policy: SandboxPolicy, env_keep: tuple[str, ...] = (), access_mode: str = "approve"):
        self.policy = _with_git_dir(policy)
        self.env_keep, self.access_mode = env_keep, access_mode
        self._tmp: Path | None = None
        self._warned = False

    @property
    def backend(self) -> Backend:
        return backend()

    @property
    def enforced(self) -> bool:
        return self.backend.available

    @property
    def read_only_enforced(self) -> bool:
        """The kernel keeps these commands from writing anything but their private /tmp."""
        return self.enforced and self.policy.fs is FsAccess.READ_ONLY

    def switch_agent(self, agent: str) -> None:
        """Plan mode (plan_enter) makes commands read-only from the next one on; leaving it restores the mode."""
        self.policy = replace(self.policy, fs=fs_access_for(self.access_mode, agent))

    def problem(self) -> str | None:
        """Why commands can't run here (no sandbox and no opt-in); None when they can."""
        found = self.backend
        if found.available or self.policy.fs is FsAccess.FULL or not self.policy.required:
            return None
        return (f"commands can't run: the sandbox is unavailable ({found.problem}). To run them without a "
                "sandbox, the user must opt in: --access-mode full, or `[sandbox] required = false` in the config")

    def unsandboxed_warning(self) -> str | None:
        """Said once per agent when commands will run without a kernel sandbox because the user chose so."""
        found = self.backend
        if found.available or self._warned:
            return None
        self._warned = True
        return f"warning: commands run WITHOUT a sandbox ({found.problem})"

    def wrap(self, argv: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> Wrapped:
        """What to execute instead of `argv`; SandboxUnavailable if nothing may run."""
        problem = self.problem()
        if problem:
            raise SandboxUnavailable(problem)
        env = {**tool_environment(network=self.policy.network or self.policy.fs is FsAccess.FULL,
                                  keep=self.env_keep), **(extra_env or {})}
        found = self.backend
        if not found.available:
            return Wrapped(argv, env)
        if self.policy.fs is not FsAccess.FULL:
            env["TMPDIR"] = "/tmp"
            if not self._cache_writable(env):  # tools keep caches there (parso/jedi, pip, go): give them ours
                env["XDG_CACHE_HOME"] = "/tmp/.cache"
        # bwrap runs on the host, in the workspace, and the lifeline shell with the pinned descriptors open: neither
        # may load what a command wrote there (an empty or relative LD_LIBRARY_PATH entry is the cwd).
        later = {name: env.pop(name) for name in [n for n in env if _loader(n)]}
        life = lifeline.read_end()
        owned: list[int] = []  # the pinned folders' descriptors, bwrap's arguments, its seccomp program
        try:
            bwrap_args = bwrap_options(found, self.policy, self.private_tmp(), cwd, owned)
            if self.policy.fs is not FsAccess.FULL and not self.policy.unix_sockets and seccomp.supported():
                owned.append(seccomp.program_fd())
                bwrap_args += ["--seccomp", str(owned[-1])]
            owned.insert(0, args_fd(bwrap_args))  # first: --args names it
        except BaseException:
            for fd in owned:  # a Wrapped would have closed them
                os.close(fd)
            raise
        assert found.bwrap is not None
        if self.policy.network and self.policy.fs is not FsAccess.FULL:
            argv = landlock.scoped(argv)  # the host's abstract unix sockets come with its network namespace
        # The pins' descriptors, which bwrap leaves open, are closed before anything of the command's runs.
        argv = lifeline.guarded(argv, life, tuple(owned), later)
        return Wrapped([found.bwrap, "--args", str(owned[0]), "--", *argv], env, (life, *owned), tuple(owned))

    def _cache_writable(self, env: dict[str, str]) -> bool:
        cache = Path(env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))
        return any(cache == root or root in cache.parents for root in self.policy.writable)

    def private_tmp(self) -> Path:
        """This agent's own /tmp, shared by its commands (a build in one step, its test in the next)."""
        if self._tmp is None or not self._tmp.is_dir():
            if not _CREATED:
                _sweep_orphans()
            self._tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-"))
            _CREATED.add(self._tmp)
        return self._tmp

    def with_root(self, root: Path) -> Sandbox:
        """The same policy for another workspace (a sub-agent's worktree)."""
        from codetether.sandbox.settings import protected_for

        return Sandbox(replace(self.policy, root=root, protected=protected_for(root)), self.env_keep,
                       self.access_mode)

    def close(self) -> None:
        if self._tmp is not None:
            _remove(self._tmp)
            self._tmp = None


_CREATED: set[Path] = set()
TMP_PREFIX = "codetether-sandbox-tmp-"


def _sweep_orphans() -> None:
    """Private /tmp dirs of agents that were killed (SIGKILL skips their clean-up): named by pid, so a dead
    owner is certain."""
    base = Path(tempfile.gettempdir())
    for path in base.glob(f"{TMP_PREFIX}*-*"):
        pid = path.name[len(TMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)



def _remove(path: Path) -> None:
    _CREATED.discard(path)
    shutil.rmtree(path, ignore_errors=True)


@atexit.register
def _remove_all() -> None:
    for path in list(_CREATED):
        _remove(path)


def _loader(name: str) -> bool:
    """What the dynamic loader or a starting bash reads: only the command gets it (a configured keep may name it)."""
    return name.isidentifier() and (name.startswith("LD_") or name in ("GCONV_PATH", "LOCPATH", "BASH_ENV", "ENV"))


def _with_git_dir(policy: SandboxPolicy) -> SandboxPolicy:
    """A linked worktree keeps its history in its main repository's .git: visible (and writable, where the
    workspace is) too, or git fails there."""
    if policy.fs is FsAccess.FULL:
        return policy
    common = linked_common_dir(policy.root)
    if common is None:
        return policy
    return replace(policy, writable_roots=(*policy.writable_roots, common))
