"""Language servers belong to the tasks that use them: a task that ends does not shut down the server another
task is still using (the old process-wide shutdown killed it under the other task's feet)."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
from a2a.client import ClientConfig, create_client

from tests.a2a.serve.conftest import MODEL, start_serve, stop, user_message
from tests.harness.llm_server import Reply, Stall, ToolCall
from tests.harness.procs import host_pids

HOVER = ToolCall("lsp", {"action": "hover", "path": "app.py", "line": 1, "column": 5})


def test_a_task_that_ends_leaves_the_other_tasks_language_server_running(a2a_env, workspace, tmp_path, llm_server):
    a2a_env = {**a2a_env, "CODETETHER_TOOLS_ON_DEMAND": "false"}
    served = start_serve(a2a_env, workspace, tmp_path / "serve.log", "--model", MODEL)
    replies = {"job A": [Reply(tool_calls=[HOVER]), Reply(text="A done")],
               "job B": [Reply(tool_calls=[HOVER]), Stall(4.0, then=Reply(tool_calls=[HOVER])), Reply(text="B done")]}

    def route(body: dict):
        text = str(body["messages"][1])
        name = "job A" if "job A" in text else "job B"
        return replies[name].pop(0)

    llm_server.router = route
    seen: set[int] = set()
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            # the servers this serve started: not their wrappers, nor a process a server forks for itself, nor
            # anything else on the machine
            seen.update(p for p in host_pids("pylsp") if _comm(p) == "pylsp" and _comm(_parent(p)) != "pylsp"
                        and _descends(p, served.proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        async def run() -> list:
            async with httpx.AsyncClient(timeout=120) as http:
                client = await create_client(served.url, ClientConfig(streaming=False, httpx_client=http))
                b = asyncio.create_task(_answer(client, "job B"))
                await asyncio.sleep(1.0)
                a = await _answer(client, "job A")  # A ends while B waits for its model
                return [a, await b]
        a, b = asyncio.run(run())
    finally:
        sampling.set()
        sampler.join()
        stop(served)
    assert a == "A done" and b == "B done"
    hovers = [m["content"] for r in llm_server.requests for m in r.body["messages"] if m["role"] == "tool"]
    assert hovers and all("def greet" in h or "greet" in h for h in hovers), hovers
    assert len(seen) == 1, f"the language server was started {len(seen)} times: {seen}"


async def _answer(client, text: str) -> str:
    from a2a.helpers import get_artifact_text

    async for event in client.send_message(user_message(text)):
        task = event.task if event.HasField("task") else None
        if task is not None and task.artifacts:
            return get_artifact_text(task.artifacts[0])
    return ""


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        pid = _parent(pid)
        if pid == ancestor:
            return True
    return False


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""
