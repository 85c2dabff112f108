"""Turn a policy into a bubblewrap command line: the filesystem view, namespaces and lifetime of one command."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from codetether.config.paths import APP
from codetether.sandbox.policy import FsAccess, SandboxPolicy
from codetether.sandbox.probe import Backend

# Kernel knobs under /proc that root could change for the whole machine (sysctls, core_pattern, sysrq).
PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")


def bwrap_options(backend: Backend, policy: SandboxPolicy, private_tmp: Path, cwd: Path,
                  fds: list[int]) -> list[str]:
    """bwrap's options so the kernel enforces `policy`; order matters, as each mount covers the ones before.
    (Passed through a file descriptor, so the sandbox can't read the paths it hides from /proc/1/cmdline.)
    `fds` gets the descriptors of the folders pinned by what they are, not by path: the caller's to pass and close."""
    argv = ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if backend.disable_userns:
        argv.append("--disable-userns")
    if not policy.network and policy.fs is not FsAccess.FULL:
        argv.append("--unshare-net")
    if policy.fs is FsAccess.FULL:
        argv += ["--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc", *_proc_read_only()]
    else:
        argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", *_proc_read_only(),
                 "--bind", str(private_tmp), "/tmp", *_no_sockets(policy.network)]
    hidden = [p for p in map(_real, policy.hidden) if p is not None]
    argv += _hide(hidden)
    shown: list[Path] = []
    for path in (p for p in map(_real, policy.writable) if p is not None and p.is_dir()):
        argv += ["--bind", str(path), str(path)]
        shown.append(path)
    # What lives under the host's /tmp (a workspace, a swarm worktree, the virtualenv whose tools a command runs)
    # must stay visible, read-only if not writable.
    roots = [p for p in map(_real, (*policy.roots, cwd)) if p is not None]
    tools = [t for t in (_toolchains_in_tmp() if policy.fs is not FsAccess.FULL else ())
             if not any(t == r or t in r.parents for r in roots)]  # never over the workspace's own bind
    visible = (*policy.roots, cwd, *tools)
    for path in dict.fromkeys(p for p in map(_real, visible) if p is not None and p.is_dir()):
        if policy.fs is not FsAccess.FULL and not any(path == w or w in path.parents for w in shown):
            argv += ["--ro-bind", str(path), str(path)]
            shown.append(path)
    argv += _protect(policy, fds)
    # A secret inside a bound directory (a data dir in the project) is hidden again above its bind.
    argv += _hide([h for h in hidden if any(h == p or p in h.parents for p in shown)])
    # Read-only last: a directory bound inside a hidden one needed its mount point created first.
    for path in hidden:
        if path.is_dir():
            argv += ["--remount-ro", str(path)]
    return [*argv, "--chdir", str(cwd)]


def _toolchains_in_tmp() -> tuple[Path, ...]:
    """The agent's own Python environment and the PATH directories that live under /tmp (a checkout's virtualenv
    there): the private /tmp would hide the linters, language servers and test runners commands call. A PATH entry
    inside a virtualenv shows the whole environment (its interpreter needs its libraries)."""
    return _toolchains(os.environ.get("PATH", ""))


@functools.lru_cache(maxsize=4)
def _toolchains(path: str) -> tuple[Path, ...]:
    """Resolved once per PATH, not for every command. Never /tmp itself: only a virtualenv's own bin directory
    stands for the environment around it (a stray /tmp/pyvenv.cfg must not show the whole host /tmp)."""
    found: list[Path] = []
    prefixes = {sys.prefix, sys.base_prefix}
    for entry in (*prefixes, *path.split(os.pathsep)):
        real = _real(Path(entry)) if entry else None
        if real is None:
            continue
        if entry not in prefixes and real.name == "bin" and (real.parent / "pyvenv.cfg").is_file():
            real = real.parent
        if str(real).startswith("/tmp/"):
            found.append(real)
    return tuple(found)


def args_fd(args: list[str]) -> int:
    """A memory file holding `args` NUL-separated, for `bwrap --args FD`."""
    fd = os.memfd_create("bwrap-args", 0)  # no MFD_CLOEXEC: the child must inherit it (via pass_fds)
    os.write(fd, b"".join(arg.encode() + b"\0" for arg in args))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _proc_read_only() -> list[str]:
    return [arg for path in PROC_READ_ONLY for arg in ("--ro-bind-try", path, path)]


def _no_sockets(network: bool) -> list[str]:
    """An empty /run (and runtime dir): a read-only mount does not stop connect() to a socket there, and the user's
    tmux, ssh-agent, D-Bus or Docker would run anything for whoever connects. DNS keeps its resolv.conf."""
    argv: list[str] = []
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    for path in dict.fromkeys(p for p in ("/run", "/var/run", runtime) if p):
        real = _real(Path(path))
        if real is not None and real.is_dir() and not (real != Path(path) and str(real) == "/run"):
            argv += ["--tmpfs", str(real)]
    if network:
        resolv = _real(Path("/etc/resolv.conf"))
        if resolv is not None and resolv.is_file() and any(str(resolv).startswith(p + "/") for p in ("/run",
                                                                                                     runtime) if p):
            argv += ["--ro-bind", str(resolv), str(resolv)]
    return argv


# Protected folders that, when missing, get an empty read-only one so that no command creates them: a project's
# .codetether and the user's config folder (in a workspace that holds it, a run in $HOME).
_GUARDED_FOLDERS = (".codetether", APP)


def _protect(policy: SandboxPolicy, fds: list[int]) -> list[str]:
    """codetether's project config and the user's config folder read-only over the writable workspace. A missing
    guarded folder gets an empty read-only one (bwrap leaves its empty mount point behind, which git does not
    list), so a command can't create it either; a missing codetether.toml is left alone: no file appears in the
    project, and a project file can't widen what the agent may do in any case. Every folder between a writable
    root and a guarded path is pinned (bound over itself, made first where missing): a mount point can't be
    renamed or removed, so a command can't move `.config` away and make a new `.config/codetether-agent`.
    A pin is bound from a descriptor of the folder found with no link on the way: a running command, whose own
    mounts may not pin it (a link led there when it started), can swap it for a link out of the workspace between
    this check and bwrap's mount, and bwrap would follow a path to bind that folder outside writable."""
    writable = [w for w in map(_real, policy.writable) if w is not None]
    pins: dict[Path, list[str]] = {}
    mounts: dict[Path, list[str]] = {}
    for path in dict.fromkeys(policy.protected):
        target = _resolved(path)
        if target is None:
            mounts.update(_dangling_guard(path, writable, mounts))
            continue
        exists = target.exists()
        if target in mounts or not exists and (path.name not in _GUARDED_FOLDERS or path.is_symlink()):
            continue
        # The outermost writable root holding it: its own path lies in none, so no command can swap a folder on it
        # (_pinned opens it by path).
        root = min((w for w in writable if w in target.parents), key=lambda w: len(w.parts), default=None)
        if not exists and root is None:
            continue  # outside every writable root: no command can create it
        # Only a path no link leads through is pinned: where a link led (one a command made, a codetether.toml
        # missing a moment ago), a running command, whose own mounts never pinned those folders, could swap one
        # for a link out of the workspace before bwrap binds it, writable. (A link can be re-pointed anyway.)
        if root is not None and target == Path(os.path.abspath(path)):
            for folder in reversed(target.parents):
                if root in folder.parents and folder not in pins:
                    pins[folder] = _pinned(folder, root, fds)
        mounts[target] = ["--ro-bind", str(target), str(target)] if exists else \
            ["--tmpfs", str(target), "--remount-ro", str(target)]
    # Pins first: a folder bound over itself after a guard inside it would cover that guard.
    return [arg for group in (*pins.values(), *mounts.values()) for arg in group]


def _dangling_guard(path: Path, writable: list[Path], mounts: dict[Path, list[str]]) -> dict[Path, list[str]]:
    """A guarded folder that is a link leading nowhere (`.codetether -> .cache/ct`, shipped by a repository):
    the first missing folder on the way gets the empty read-only mount, so no command can make where it leads.
    bwrap makes that mount point itself, in the sandbox, never through a link out of a writable root."""
    if path.name not in _GUARDED_FOLDERS or not path.is_symlink():
        return {}
    missing = Path(os.path.realpath(path))  # links followed as far as they go
    while not os.path.lexists(missing.parent) and missing.parent != missing:
        missing = missing.parent
    parent = _real(missing.parent)
    if parent is None or os.path.lexists(missing) or parent / missing.name in mounts:
        return {}
    if not any(parent == w or w in parent.parents for w in writable):
        return {}
    guard = parent / missing.name
    return {guard: ["--tmpfs", str(guard), "--remount-ro", str(guard)]}


def _pinned(folder: Path, root: Path, fds: list[int]) -> list[str]:
    """`folder` bound over itself, made first if missing (as bwrap makes a mount point: it could not bind what is
    not there yet); where it can't be made, an empty throwaway one, a mount point all the same. Made and opened
    one name at a time from `root`, never through a link (one swapped in a moment ago: no folder made outside the
    workspace), and bound from that descriptor, which stays the folder whatever its path leads to by then."""
    flags = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(root, flags)
    except OSError:
        return ["--tmpfs", str(folder)]
    try:
        for name in folder.relative_to(root).parts:
            try:
                os.mkdir(name, dir_fd=fd)
            except FileExistsError:
                pass
            inner = os.open(name, flags, dir_fd=fd)
            os.close(fd)
            fd = inner
    except OSError:
        os.close(fd)
        return ["--tmpfs", str(folder)]
    os.set_inheritable(fd, True)
    fds.append(fd)
    # The descriptor's /proc link, not --bind-fd: that came with bubblewrap 0.10 (Ubuntu 24.04 ships 0.9).
    return ["--bind", f"/proc/self/fd/{fd}", str(folder)]


def _resolved(path: Path) -> Path | None:
    """`path` with the links of its existing part resolved and its missing part appended; None when a link on the
    way leads nowhere."""
    missing: list[str] = []
    while not os.path.lexists(path):
        if path.parent == path:
            return None
        missing.insert(0, path.name)
        path = path.parent
    real = _real(path)
    return None if real is None else real.joinpath(*missing)


def _hide(paths: list[Path]) -> list[str]:
    """An empty directory over each secret directory, /dev/null over each secret file."""
    argv: list[str] = []
    for path in paths:
        argv += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", os.devnull, str(path)]
    return argv


def _real(path: Path) -> Path | None:
    """The path with symlinks resolved (mounts apply to real paths), or None when it does not exist."""
    try:
        real = Path(os.path.realpath(path))
        return real if real.exists() else None
    except OSError:
        return None
