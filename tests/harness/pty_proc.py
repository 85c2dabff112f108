"""A command on a pseudo-terminal (stdin, stdout and stderr are the terminal): read what it shows, type into it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


class PtyProcess:
    def __init__(self, command: Sequence[str], env: dict[str, str], cwd: Path):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(list(command), stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                     start_new_session=True)  # the pty becomes its controlling terminal
        os.close(slave)
        self.output = ""

    def _read(self, timeout: float) -> bool | None:
        """True: read something; False: nothing within the timeout; None: the terminal is closed."""
        if not select.select([self.master], [], [], timeout)[0]:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO once the program has exited and closed its side
            return None
        if not chunk:
            return None
        self.output += chunk.decode(errors="replace")
        return True

    def expect(self, needle: str, timeout: float = 30.0) -> str:
        """Everything shown so far, once `needle` is among it (the timeout only bounds a broken program)."""
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if time.monotonic() > deadline or self._read(0.1) is None:
                raise AssertionError(f"{needle!r} never appeared; the terminal showed:\n{self.output}")
        return self.output

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self, timeout: float = 60.0) -> int:
        """The exit code, after reading everything the program wrote."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        try:
            return self.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"still running after {timeout}s; the terminal showed:\n{self.output}") from None
        finally:
            os.close(self.master)
