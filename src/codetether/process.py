"""Facts about other processes of this machine."""

from __future__ import annotations

import os
import shutil


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal still exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def host_program(name: str) -> str | None:
    """The absolute path of a program the agent itself runs outside the sandbox: from the system's folders first,
    then PATH's absolute entries only (an empty or relative one is the current folder, a workspace the model
    writes)."""
    entries = [*(os.confstr("CS_PATH") or "/bin:/usr/bin").split(os.pathsep),
               *os.environ.get("PATH", "").split(os.pathsep)]
    return shutil.which(name, path=os.pathsep.join(dict.fromkeys(e for e in entries if os.path.isabs(e))))
