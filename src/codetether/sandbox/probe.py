"""Can this machine sandbox? Found once per process: bubblewrap present and user namespaces that work."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from dataclasses import dataclass

from codetether.process import host_program

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
TRIALS = 2  # rounds of trials (with --disable-userns, then without) before an answer for this process
# The trial asks for what bwrap >= 0.8 offers; one that fails is tried again without it.
_TRIAL = ("--unshare-user", "--unshare-pid", "--unshare-net", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--proc",
          "/proc", "--dev", "/dev", "--die-with-parent")


@functools.cache
def _probe() -> Backend:
    """A missing or broken bubblewrap is a clear reason, never a crash."""
    if not sys.platform.startswith("linux"):
        return Backend(None, f"the sandbox needs Linux (bubblewrap); this is {sys.platform}")
    bwrap = os.environ.get("CODETETHER_BWRAP") or host_program("bwrap")
    if not bwrap or not os.access(bwrap, os.X_OK):
        return Backend(None, f"bubblewrap (bwrap) is not installed. {INSTALL_HINT}")
    try:
        # A bwrap that knows --disable-userns may still fail to apply it (setuid builds, a kernel that refuses):
        # commands then run without it, as on an older bwrap, rather than failing inside every sandbox. A failure
        # can also be passing (EAGAIN while another sandbox forks), so the option is dropped only when it failed
        # every time while a sandbox without it worked.
        for _ in range(TRIALS):
            with_option = _trial(bwrap, "--disable-userns")
            if with_option.returncode == 0:
                return Backend(bwrap, None, disable_userns=True)
            trial = _trial(bwrap)
            if trial.returncode == 0 and "Unknown option --disable-userns" in with_option.stderr:
                break  # an older bwrap: asking again changes nothing
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Backend(None, f"bubblewrap at {bwrap} could not be run ({exc})")
    if trial.returncode != 0:
        why = (trial.stderr.strip().splitlines() or ["no message"])[-1]
        return Backend(None, f"bubblewrap at {bwrap} cannot create a sandbox here ({why}); user namespaces may be "
                             "disabled (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap)")
    return Backend(bwrap, None, disable_userns=False)


def _trial(bwrap: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([bwrap, *_TRIAL, *extra, "true"], capture_output=True, text=True, timeout=10,
                          stdin=subprocess.DEVNULL, check=False)
