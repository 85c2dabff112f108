"""A pipe only this process writes to: its read end in every sandbox, which ends itself when the pipe does.

bubblewrap's --die-with-parent misses one case: an agent killed while bwrap is still setting up the sandbox,
before the sandbox's init has asked for the parent-death signal. The kernel closes our write end however we
die, so a watcher started inside the sandbox before the command sees end-of-file and kills everything in its
PID namespace (`kill -1` there reaches only the sandbox's own processes)."""

from __future__ import annotations

import functools
import os
import shutil

_read_end: int | None = None


def read_end() -> int:
    """The fd sandboxes inherit (pass it with pass_fds); the write end stays here, close-on-exec."""
    global _read_end
    if _read_end is None:
        read, _write = os.pipe()  # both close-on-exec: only what is passed explicitly reaches a child
        _read_end = read  # the write end is never used nor closed: it lives exactly as long as we do
    return _read_end


def guarded(command: list[str], fd: int, close: tuple[int, ...] = (),
            later: dict[str, str] | None = None) -> list[str]:
    """`command` behind a watcher that kills the sandbox's processes once the lifeline breaks. `close`: what only
    bwrap needed (a pinned folder's descriptor names it on the host's mount, where `..` climbs past every sandbox
    mount), closed before the watcher or the command starts. `later`: the environment only the command gets, set
    once those are closed (the loader's search path: an empty entry is the writable cwd)."""
    # Only end-of-file counts: a sandboxed command can open the pipe for writing through /proc/<pid>/fd, and a
    # line it wrote must not set off the watchers of every other sandbox (and of every command started later).
    shut = "".join(f"exec {n}<&- ; " for n in close)
    if later:
        import shlex  # rarely needed: not loaded for every command

        shut += "".join(f"export {name}={shlex.quote(value)} ; " for name, value in later.items())
    script = (f'{shut}( while read -r _; do :; done <&{fd} ; kill -KILL -1 ) </dev/null >/dev/null 2>&1 & '
              f'exec {fd}<&- "$@"')
    return [_shell(), "-c", script, "sh", *command]


@functools.cache
def _shell() -> str:
    """bash: a POSIX sh such as dash can't name file descriptors above 9 in a redirection. Looked for in the
    system's own folders only: a PATH entry in the workspace (or an empty one, the cwd) would run a command's
    planted `bash` while the pinned descriptors are still open."""
    return shutil.which("bash", path=os.confstr("CS_PATH") or "/bin:/usr/bin") or "/bin/sh"
