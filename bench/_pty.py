"""A program on a pseudo-terminal, for the TUI bench: every byte it writes is kept with its arrival time."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import termios
import threading
import time
from bisect import bisect_left


class Pty:
    """Runs argv on a new pseudo-terminal of `size` (columns, rows); a thread reads what it draws."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, size: tuple[int, int] = (120, 40)):
        self.started = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # the child: the terminal's size is set before the program can ask for it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.data = bytearray()
        self._ends: list[int] = []  # end offset of each read ...
        self._times: list[float] = []  # ... and when it arrived
        self._cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            now = time.monotonic()
            with self._cond:
                if not chunk:
                    self._closed = True
                    self._cond.notify_all()
                    return
                self.data += chunk
                self._ends.append(len(self.data))
                self._times.append(now)
                self._cond.notify_all()

    @property
    def offset(self) -> int:
        with self._cond:
            return len(self.data)

    def arrival(self, end: int) -> float:
        """When the byte just before offset `end` reached the terminal."""
        with self._cond:
            return self._times[bisect_left(self._ends, end)]

    def find(self, needle: bytes, start: int = 0) -> int | None:
        """The offset just past the first `needle` at or after `start`, if it has arrived."""
        with self._cond:
            at = self.data.find(needle, start)
        return None if at < 0 else at + len(needle)

    def wait_for(self, needle: bytes, start: int = 0, timeout: float = 60.0) -> tuple[int, float]:
        """(offset past `needle`, its arrival time); raises TimeoutError with the screen's tail if it never comes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                at = self.data.find(needle, start)
                if at >= 0:
                    end = at + len(needle)
                    return end, self._times[bisect_left(self._ends, end)]
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    tail = bytes(self.data[-600:]).decode("utf-8", "replace")
                    raise TimeoutError(f"{needle!r} never appeared on the terminal; last output: {tail!r}")
                self._cond.wait(min(left, 0.5))

    def quiet_after(self, start: int, gap: float, timeout: float = 5.0) -> float:
        """The arrival time of the last output after offset `start` before `gap` seconds of silence."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < deadline:
                last = self._times[-1] if self._times and self._ends[-1] > start else None
                if last is not None and time.monotonic() - last >= gap:
                    return last
                self._cond.wait(gap / 4)
        raise TimeoutError("the terminal never went quiet")

    def write(self, data: bytes) -> tuple[int, float]:
        """Type `data`; returns (output offset, time) as of just before the write."""
        with self._cond:
            offset = len(self.data)
        now = time.monotonic()
        os.write(self.fd, data)
        return offset, now

    def cpu_seconds(self) -> float:
        """User + system CPU time the program has used so far."""
        with open(f"/proc/{self.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024

    def close(self, keys: bytes = b"\x03", timeout: float = 10.0) -> int:
        """Send `keys` (Ctrl+C: quit), wait for the exit; a program that does not go is killed."""
        try:
            os.write(self.fd, keys)
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self._finish()
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self._finish()
        return os.waitstatus_to_exitcode(status)

    def _finish(self) -> None:
        self._reader.join(2)
        try:
            os.close(self.fd)
        except OSError:
            pass
