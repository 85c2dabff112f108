"""Drive a real `codetether worker` subprocess against the platform test server, Vault and the scripted LLM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# Fast rhythm for tests; production defaults are 30 s heartbeats/polls, 1-60 s reconnect backoff, 30 s grace.
FAST = {"CODETETHER_WORKER_HEARTBEAT_SECS": "0.5", "CODETETHER_WORKER_POLL_SECS": "30",
        "CODETETHER_WORKER_RECONNECT_SECS": "0.2", "CODETETHER_WORKER_RECONNECT_MAX_SECS": "1",
        "CODETETHER_WORKER_GRACE_SECS": "20"}


class WorkerProc:
    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, log: Path):
        self.log = log
        self._fh = open(log, "wb")  # a file, not a pipe: a chatty worker must never block on a full pipe
        self.proc = subprocess.Popen([sys.executable, "-m", "codetether", *args], env=env, cwd=cwd,
                                     stdin=subprocess.DEVNULL, stdout=self._fh, stderr=subprocess.STDOUT)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int = signal.SIGTERM) -> None:
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 30) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker still running after {timeout}s:\n{self.output}") from None

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        code = self.wait(timeout)
        self._fh.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._fh.close()


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains `marker` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
