"""The task tool: background shell commands that outlive one step; output kept in a capped log file."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for, sandboxed
from codetether.tool.bash import KILL_GRACE_SECS, cap_text, killpg

LOG_CAP_BYTES = 2 * 1024 * 1024
MAX_RUNNING = 16
DEFAULT_TAIL = 50
OUTPUT_CHARS = 20_000
LOG_KEEP_SECS = 7 * 24 * 3600
KEEP_FINISHED = 50  # finished tasks a session remembers (status, output); older ones are forgotten

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["start", "status", "output", "cancel", "list"]},
        "command": {"type": "string", "description": "Shell command (start)"},
        "id": {"type": "string", "description": "Task id (status, output, cancel)"},
        "tail": {"type": "integer", "minimum": 1, "maximum": 2000, "description": "Last lines of output (default 50)"},
    },
    "required": ["action"],
}


@dataclass
class BackgroundTask:
    id: str
    session_id: str
    command: str
    proc: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.time)
    cancelled: bool = False
    dropped: int = 0  # oldest output bytes removed from the log to keep it under LOG_CAP_BYTES
    pump: threading.Thread | None = None  # copies its output to the log; joined once the process is done

    def state(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "running"
        return "cancelled" if self.cancelled else f"exited with code {code}"

    def line(self) -> str:
        return f"{self.id}  {self.state()}  {time.time() - self.started:.0f}s  {self.command[:80]}"


class TaskRegistry:
    """Background tasks by session: each session has its own running limit and history, and its tasks end with
    it; finished tasks past KEEP_FINISHED are forgotten, so a long-lived server does not grow without end."""

    def __init__(self) -> None:
        self._sessions: dict[str, dict[str, BackgroundTask]] = {}

    def of(self, session_id: str) -> dict[str, BackgroundTask]:
        return self._sessions.get(session_id, {})

    def running(self, session_id: str) -> int:
        return sum(t.proc.poll() is None for t in self.of(session_id).values())

    def add(self, task: BackgroundTask) -> None:
        tasks = self._sessions.setdefault(task.session_id, {})
        tasks[task.id] = task
        finished = [t for t in tasks.values() if t.proc.poll() is not None]
        for old in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            tasks.pop(old.id)
            _join(old)

    def drop(self, session_id: str) -> list[BackgroundTask]:
        return list(self._sessions.pop(session_id, {}).values())

    def all(self) -> list[BackgroundTask]:
        return [t for tasks in self._sessions.values() for t in tasks.values()]


def _join(task: BackgroundTask) -> None:
    if task.pump is not None and task.proc.poll() is not None:
        task.pump.join(timeout=1.0)  # the pipe closed with the process: its last output is in the log


TASKS = TaskRegistry()


def _pump(task: BackgroundTask) -> None:
    """Copy the command's output to its log until the pipe closes; past LOG_CAP_BYTES the oldest half goes."""
    assert task.proc.stdout is not None
    fd, size = task.proc.stdout.fileno(), 0
    with open(task.log, "r+b") as log:
        while chunk := os.read(fd, 65536):
            log.write(chunk)
            log.flush()
            size += len(chunk)
            if size > LOG_CAP_BYTES:
                keep = LOG_CAP_BYTES // 2
                log.seek(size - keep)
                recent = log.read(keep)
                log.seek(0)
                log.write(recent)
                log.truncate()
                log.flush()
                task.dropped, size = task.dropped + size - keep, keep
    task.proc.stdout.close()
    task.proc.wait()  # reaped as soon as it ends: a long-lived serve keeps no zombies


async def _start(command: str, ctx: ToolContext) -> BackgroundTask:
    if not command.strip():
        raise ToolError("'command' is required for action 'start' (the shell command to run in the background)")
    if TASKS.running(ctx.session_id) >= MAX_RUNNING:
        raise ToolError(f"{MAX_RUNNING} tasks are already running; cancel one first (action 'list' shows them)")
    bash = shutil.which("bash")
    if bash is None:
        raise ToolError("bash is not installed on this machine")
    from codetether.config.paths import data_dir

    task_id = os.urandom(4).hex()  # not uuid: it imports `platform`
    log = data_dir() / "tasks" / f"{task_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    _forget_old_logs(log.parent)
    log.write_bytes(b"")
    assert ctx.cwd is not None
    wrapped = await sandboxed(ctx, [bash, "-c", command], ctx.cwd)
    proc = subprocess.Popen(wrapped.argv, cwd=ctx.cwd, env=wrapped.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            pass_fds=wrapped.pass_fds)
    task = BackgroundTask(task_id, ctx.session_id, command, proc, log)
    task.pump = threading.Thread(target=_pump, args=(task,), name=f"task-{task_id}", daemon=True)
    task.pump.start()
    TASKS.add(task)
    return task


def _forget_old_logs(folder: Path) -> None:
    """Logs of tasks from earlier runs are kept a week for a look afterwards, then removed."""
    cutoff = time.time() - LOG_KEEP_SECS
    for old in folder.glob("*.log"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def _find(args: dict[str, Any], ctx: ToolContext) -> BackgroundTask:
    task_id = (args.get("id") or "").strip()
    if not task_id:
        raise ToolError(f"'id' is required for action '{args['action']}'; action 'list' shows the task ids")
    task = TASKS.of(ctx.session_id).get(task_id)
    if task is None:
        raise ToolError(f"no task with id '{task_id}'; action 'list' shows this session's tasks")
    return task


def _tail(task: BackgroundTask, lines: int) -> str:
    with open(task.log, "rb") as fh:
        fh.seek(max(0, task.log.stat().st_size - 512 * 1024))
        text = fh.read().decode("utf-8", "replace")
    shown = "\n".join(text.splitlines()[-lines:])
    return cap_text(shown, OUTPUT_CHARS) or "(no output yet)"


async def cancel(task: BackgroundTask) -> None:
    """SIGTERM the task's process group, then SIGKILL what is left after a grace period."""
    if task.proc.poll() is not None:
        return
    task.cancelled = True
    killpg(task.proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.to_thread(task.proc.wait), KILL_GRACE_SECS)
    except TimeoutError:
        pass
    killpg(task.proc.pid, signal.SIGKILL)
    await asyncio.to_thread(task.proc.wait)
    await asyncio.to_thread(_join, task)


async def stop_tasks(session_id: str) -> None:
    """Cancel the session's running tasks and forget them all; called when its SessionRun closes."""
    tasks = TASKS.drop(session_id)
    await asyncio.gather(*(cancel(t) for t in tasks))
    await asyncio.gather(*(asyncio.to_thread(_join, t) for t in tasks))


@atexit.register
def _kill_all() -> None:
    for task in TASKS.all():
        if task.proc.poll() is None:
            task.cancelled = True
            killpg(task.proc.pid, signal.SIGKILL)


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    action = args["action"]
    if action == "start":
        task = await _start(args.get("command") or "", ctx)
        return ToolResult(f"started task {task.id} (pid {task.proc.pid}); check it later with action "
                          f"'status' or 'output' and id '{task.id}'", metadata={"id": task.id})
    if action == "list":
        mine = list(TASKS.of(ctx.session_id).values())
        return ToolResult("\n".join(t.line() for t in mine) or "no background tasks", metadata={"count": len(mine)})
    task = _find(args, ctx)
    if action == "cancel":
        was_running = task.proc.poll() is None
        await cancel(task)
        what = "cancelled; its process group was stopped" if was_running else f"had already {task.state()}"
        return ToolResult(f"task {task.id} {what}", metadata={"id": task.id, "state": task.state()})
    header = task.line()
    if action == "status":
        return ToolResult(header, metadata={"id": task.id, "state": task.state()})
    body = await asyncio.to_thread(_tail, task, int(args.get("tail") or DEFAULT_TAIL))
    if task.dropped:
        body += f"\n[log capped at {LOG_CAP_BYTES // (1024 * 1024)} MiB; the oldest {task.dropped} bytes were dropped]"
    return ToolResult(f"{header}\n\n{body}", metadata={"id": task.id, "state": task.state(), "log": str(task.log)})


TOOL = Tool(name="task", description=description_for(__file__), parameters=PARAMETERS, run=run)
