"""The official a2a-sdk client drives `codetether serve`: coding task, streaming order, cancel, provider failure."""

from __future__ import annotations

import asyncio
import time

import httpx
from a2a.client import ClientConfig, create_client
from a2a.helpers import get_artifact_text, get_message_text
from a2a.types import CancelTaskRequest, GetTaskRequest, TaskState

from tests.a2a.serve.conftest import user_message
from tests.harness.llm_server import Reply, Stall, ToolCall
from tests.harness.procs import wait_gone

FIX = (Reply(text="Fixing the typo.", tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"',
                                                                      "new_string": '"hello"'})]),
       Reply(text="Fixed the greeting."))


async def collect(url: str, text: str, streaming: bool = True) -> list:
    async with httpx.AsyncClient(timeout=60) as http:
        client = await create_client(url, ClientConfig(streaming=streaming, httpx_client=http))
        return [event async for event in client.send_message(user_message(text))]


def states(events: list) -> list[int]:
    return [e.status_update.status.state for e in events if e.HasField("status_update")]


def test_streamed_coding_task_changes_the_file_and_completes_with_artifacts(served, llm_server, workspace):
    llm_server.script(*FIX)
    events = asyncio.run(collect(served.url, "fix the greeting typo"))

    assert '"hello"' in (workspace / "app.py").read_text()
    assert events[0].HasField("task")  # the task first, then its updates in order
    seen = states(events)
    assert seen[0] == TaskState.TASK_STATE_WORKING and seen[-1] == TaskState.TASK_STATE_COMPLETED
    assert all(s == TaskState.TASK_STATE_WORKING for s in seen[:-1])
    assert events[-1].HasField("status_update")  # nothing after the final state
    texts = [get_message_text(e.status_update.status.message) for e in events if e.HasField("status_update")]
    streamed = "".join(t for t in texts if not t.startswith("[tool]"))
    assert "Fixing the typo." in streamed and "Fixed the greeting." in streamed
    tool_lines = [t for t in texts if t.startswith("[tool] edit")]
    assert len(tool_lines) == 2 and "ok" in tool_lines[1]  # the call, then its result
    artifacts = {e.artifact_update.artifact.name: e.artifact_update.artifact for e in events
                 if e.HasField("artifact_update")}
    assert get_artifact_text(artifacts["response"]) == "Fixed the greeting."
    assert get_artifact_text(artifacts["changed-files"]) == "app.py"
    # Artifacts come before the final state.
    last_artifact = max(i for i, e in enumerate(events) if e.HasField("artifact_update"))
    assert last_artifact < len(events) - 1


def test_blocking_send_returns_the_completed_task(served, llm_server, workspace):
    llm_server.script(*FIX)
    events = asyncio.run(collect(served.url, "fix the greeting typo", streaming=False))
    assert len(events) == 1 and events[0].HasField("task")
    task = events[0].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert "Fixed the greeting." in [get_artifact_text(a) for a in task.artifacts]
    assert '"hello"' in (workspace / "app.py").read_text()
    # The model got the user's text as the prompt.
    assert "fix the greeting typo" in str(llm_server.requests[0].body["messages"])


def test_cancel_mid_task_ends_canceled_and_kills_the_bash_child(served, llm_server, workspace):
    command = "sleep 30.401 & echo $! > sleep.pid; echo $$ > bash.pid; wait"
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": command})]), Reply(text="should not be reached"))

    async def scenario() -> tuple:
        async with httpx.AsyncClient(timeout=60) as http:
            client = await create_client(served.url, ClientConfig(streaming=True, httpx_client=http))
            stream = client.send_message(user_message("run the slow job"))
            first = await anext(stream)
            task_id = first.task.id
            deadline = time.monotonic() + 20
            while not (workspace / "sleep.pid").exists() or not (workspace / "bash.pid").exists():
                assert time.monotonic() < deadline, "the bash command never started"
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
            cancelled = await client.cancel_task(CancelTaskRequest(id=task_id))
            final = await client.get_task(GetTaskRequest(id=task_id))
            await stream.aclose()
            return cancelled, final

    cancelled, final = asyncio.run(scenario())
    assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
    assert final.status.state == TaskState.TASK_STATE_CANCELED
    assert not wait_gone("30.401")
    assert len(llm_server.requests) == 1  # the loop stopped: the model was not asked again
    assert served.proc.poll() is None


def test_no_provider_fails_the_task_and_the_server_keeps_serving(served, llm_server, vault_clean):
    vault_clean.clear_providers()
    events = asyncio.run(collect(served.url, "hello", streaming=False))
    task = events[0].task
    assert task.status.state == TaskState.TASK_STATE_FAILED
    assert "provider" in get_message_text(task.status.message).lower()
    assert served.proc.poll() is None
    vault_clean.put_provider("openai", api_key="sk-test-vault-key-0123456789", base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="back"))
    again = asyncio.run(collect(served.url, "hello", streaming=False))[0].task
    assert again.status.state == TaskState.TASK_STATE_COMPLETED


def test_model_failure_fails_the_task_with_the_reason(served, llm_server):
    from tests.harness.llm_server import HttpError

    llm_server.script(HttpError(401, {"error": {"message": "bad key"}}))
    task = asyncio.run(collect(served.url, "hello", streaming=False))[0].task
    assert task.status.state == TaskState.TASK_STATE_FAILED
    assert get_message_text(task.status.message).startswith("error:")


def test_tasks_run_concurrently(served, llm_server):
    llm_server.default_reply = Stall(1.0, Reply(text="done"))

    async def many() -> list:
        return await asyncio.gather(*(collect(served.url, f"task {i}", streaming=False) for i in range(4)))

    started = time.monotonic()
    results = asyncio.run(many())
    assert all(r[0].task.status.state == TaskState.TASK_STATE_COMPLETED for r in results)
    assert time.monotonic() - started < 3.5  # four 1 s model calls overlapped
