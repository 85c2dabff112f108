"""A program in its own tmux server (a real pseudo-terminal): type keys, read the screen, wait for text."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Self

HAVE_TMUX = shutil.which("tmux") is not None


class Tmux:
    """One tmux server per instance (-L name): parallel tests and the user's own tmux are untouched."""

    def __init__(self, command: Sequence[str], env: dict[str, str], cwd: Path, width: int = 80, height: int = 24):
        self.name = f"ct-{uuid.uuid4().hex[:8]}"
        self.command, self.env, self.cwd, self.size = list(command), env, cwd, (width, height)
        self._status_dir = tempfile.mkdtemp(prefix="ct-tmux-")
        self.status_file = Path(self._status_dir) / "status"

    def start(self) -> Self:
        env_args = [arg for key, value in self.env.items() for arg in ("-e", f"{key}={value}")]
        # remain-on-exit keeps the pane (and whatever the program printed last) readable after it ends.
        # A shell around the program records its exit status (tmux's own may not be known yet when it shows
        # the pane as dead).
        wrapped = ["sh", "-c", '"$@"; echo $? > "$0"', str(self.status_file), *self.command]
        subprocess.run(["tmux", "-L", self.name, "new-session", "-d", "-s", self.name, "-x", str(self.size[0]),
                        "-y", str(self.size[1]), *env_args, "-c", str(self.cwd), *wrapped],
                       check=True, env=self.env)
        subprocess.run(["tmux", "-L", self.name, "set-option", "-t", self.name, "remain-on-exit", "on"],
                       capture_output=True)
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["tmux", "-L", self.name, "kill-server"], capture_output=True)
        shutil.rmtree(self._status_dir, ignore_errors=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-L", self.name, "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True).stdout

    def send(self, *keys: str) -> None:
        """tmux key names (`Enter`, `C-c`, `Escape`) or literal text."""
        subprocess.run(["tmux", "-L", self.name, "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        """Literal text, key names not interpreted."""
        subprocess.run(["tmux", "-L", self.name, "send-keys", "-l", "-t", self.name, text], check=True)

    def until(self, needle: str, timeout: float = 30.0) -> str:
        """The screen once it shows `needle` (the timeout only bounds a broken program; not a speed check)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if needle in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} never appeared; screen was:\n{screen}")

    def exited(self) -> bool:
        """True once the program in the pane has ended."""
        out = subprocess.run(["tmux", "-L", self.name, "display-message", "-p", "-t", self.name, "#{pane_dead}"],
                             capture_output=True, text=True)
        return out.stdout.strip() == "1"

    def exit_status(self, timeout: float = 10.0) -> int | None:
        """The program's exit status once it has ended (128+N for a death by signal N); None if it runs on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.status_file.read_text().strip() if self.status_file.exists() else ""
            if text:
                return int(text)
            time.sleep(0.1)
        return None

    def wait_exit(self, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exited():
                return True
            time.sleep(0.2)
        return False
