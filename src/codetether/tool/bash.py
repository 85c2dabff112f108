"""The bash tool: run a shell command non-interactively, capped output, whole process group killed on timeout."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for, sandboxed

DEFAULT_TIMEOUT = 120
MAX_OUTPUT_CHARS = 30_000
KILL_GRACE_SECS = 2.0
# Once bash exits, output still open means a background job kept the pipe; don't wait for it forever.
DRAIN_SECS = 1.0

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {"type": "string", "description": "Shell command"},
        "cwd": {"type": "string", "description": "Working directory (default: current directory)"},
        "timeout": {"type": "integer", "minimum": 1, "maximum": 600, "description": "Seconds (default 120)"},
    },
    "required": ["command"],
}


class _Capture:
    """Keeps the head and the tail of a stream so a flood of output stays bounded in memory."""

    def __init__(self, keep: int):
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.keep - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            del self.tail[:-self.keep]

    def text(self) -> str:
        head = self.head.decode("utf-8", "replace")
        tail = self.tail.decode("utf-8", "replace")
        dropped = self.total - len(self.head) - len(self.tail)
        text = head + (f"\n\n… [{dropped} bytes of output omitted] …\n\n" if dropped else "") + tail
        return cap_text(text, MAX_OUTPUT_CHARS)


def cap_text(text: str, limit: int) -> str:
    """Keep the start and the end of long text, where commands put their summary and their errors."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n\n… [{len(text) - 2 * half} chars omitted] …\n\n{text[-half:]}"


async def _pump(stream: asyncio.StreamReader, capture: _Capture) -> None:
    while chunk := await stream.read(65536):
        capture.add(chunk)


def killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the group, give it a moment, then SIGKILL whatever is left of it."""
    killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), KILL_GRACE_SECS)
    except TimeoutError:
        pass
    killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    command: str = args["command"]
    if not command.strip():
        raise ToolError("'command' is empty")
    cwd = ctx.resolve(args["cwd"]) if args.get("cwd") else ctx.cwd
    assert cwd is not None
    if not cwd.is_dir():
        raise ToolError(f"'cwd' {ctx.display(cwd)!r} is not a directory")
    bash = shutil.which("bash")
    if bash is None:
        raise ToolError("bash is not installed on this machine")
    timeout = int(args.get("timeout") or DEFAULT_TIMEOUT)
    wrapped = await sandboxed(ctx, [bash, "-c", command], cwd)
    # Our own pipe, so we can stop reading (close our end) even while a background job still holds it.
    read_fd, write_fd = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            *wrapped.argv, cwd=cwd, env=wrapped.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=write_fd, stderr=write_fd, start_new_session=True, pass_fds=wrapped.pass_fds)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    stream = asyncio.StreamReader()
    transport, _ = await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(stream), os.fdopen(read_fd, "rb", 0))
    capture = _Capture(MAX_OUTPUT_CHARS)
    reader = asyncio.create_task(_pump(stream, capture))
    timed_out = detached = False
    try:
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            timed_out = True
            await _kill_group(proc)
        try:
            await asyncio.wait_for(asyncio.shield(reader), DRAIN_SECS)
        except TimeoutError:
            detached = True
    except asyncio.CancelledError:
        killpg(proc.pid, signal.SIGKILL)
        raise
    finally:
        reader.cancel()
        transport.close()
    output = capture.text().rstrip("\n") or "(no output)"
    code = proc.returncode
    if timed_out:
        output += f"\n\n[command timed out after {timeout}s; its process group was killed. " \
                  "Raise 'timeout' or run long jobs in the background with output sent to a file]"
        return ToolResult(output, success=False, metadata={"exit_code": None, "timed_out": True})
    if detached:
        output += "\n\n[a background process still holds the output open; its further output is not shown. " \
                  "Redirect background jobs, e.g. `cmd > log 2>&1 &`]"
    output += f"\n\nexit code {code}"
    return ToolResult(output, success=code == 0, metadata={"exit_code": code, "timed_out": False})


TOOL = Tool(name="bash", description=description_for(__file__), parameters=PARAMETERS, run=run)
