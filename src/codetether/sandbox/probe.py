"""Can this machine sandbox? Found once per process: bubblewrap present and user namespaces that work."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass

INSTALL_HINT = ("Install bubblewrap (Debian/Ubuntu: `apt install bubblewrap`; Fedora: `dnf install bubblewrap`; "
                "Arch: `pacman -S bubblewrap`)")


@dataclass(frozen=True)
class Backend:
    """The sandbox this machine offers: bwrap's path and the options this build understands, or why none."""

    bwrap: str | None
    problem: str | None = None  # why the kernel can't sandbox here; None when it can
    disable_userns: bool = False  # bwrap >= 0.8: the sandbox can't create namespaces of its own

    @property
    def available(self) -> bool:
        return self.problem is None


def probed() -> bool:
    """Whether backend() has run: its answer then costs nothing to ask for again."""
    return _probe.cache_info().currsize > 0


def backend() -> Backend:
    """Probe once per process, even when threads ask at the same time (each would start its own bwrap)."""
    with _lock:
        return _probe()


_lock = threading.Lock()
TRIALS = 2  # sandboxes tried without --disable-userns before the answer is "unavailable" for this process
# The trial asks for what bwrap >= 0.8 offers; one that fails is tried again without it.
_TRIAL = ("--unshare-user", "--unshare-pid", "--unshare-net", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--proc",
          "/proc", "--dev", "/dev", "--die-with-parent")


@functools.cache
def _probe() -> Backend:
    """A missing or broken bubblewrap is a clear reason, never a crash."""
    if not sys.platform.startswith("linux"):
        return Backend(None, f"the sandbox needs Linux (bubblewrap); this is {sys.platform}")
    bwrap = os.environ.get("CODETETHER_BWRAP") or shutil.which("bwrap")
    if not bwrap or not os.access(bwrap, os.X_OK):
        return Backend(None, f"bubblewrap (bwrap) is not installed. {INSTALL_HINT}")
    try:
        # A bwrap that knows --disable-userns may still fail to apply it (setuid builds, a kernel that refuses):
        # then commands run without it, as on an older bwrap, rather than failing inside every sandbox.
        trial = _trial(bwrap, "--disable-userns")
        disable_userns = trial.returncode == 0
        for _ in range(TRIALS):  # a failure can be passing (EAGAIN while another sandbox forks): tried again
            if trial.returncode == 0:
                break
            trial = _trial(bwrap)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Backend(None, f"bubblewrap at {bwrap} could not be run ({exc})")
    if trial.returncode != 0:
        why = (trial.stderr.strip().splitlines() or ["no message"])[-1]
        return Backend(None, f"bubblewrap at {bwrap} cannot create a sandbox here ({why}); user namespaces may be "
                             "disabled (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap)")
    return Backend(bwrap, None, disable_userns=disable_userns)


def _trial(bwrap: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([bwrap, *_TRIAL, *extra, "true"], capture_output=True, text=True, timeout=10,
                          stdin=subprocess.DEVNULL, check=False)
