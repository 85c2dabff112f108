"""`codetether worker` end to end: a real subprocess against the platform test server, Vault and the scripted LLM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.a2a.conftest import released
from tests.a2a.worker_proc import processes_with, wait_until
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, Stall, ToolCall
from tests.harness.platform_server import PlatformServer

TOKEN = "worker-token-0123456789"

CODING_TASK = (
    Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
    Reply(text="Fixing the typo.", tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"',
                                                                  "new_string": '"hello"'})]),
    Reply(text="Fixed the greeting in app.py."),
)


def test_registers_then_runs_two_tasks_in_sequence(start_worker, llm_server, workspace):
    llm_server.script(*CODING_TASK, Reply(text="The project has one function, greet."))
    with PlatformServer() as platform:
        worker = start_worker(platform, "--name", "dev-box", "--max-concurrent", "1", "--auto-approve", "all")
        register = platform.wait_for(lambda: platform.calls_to("POST", "/v1/opencode/workers/register"),
                                     what="registration", alive=worker.alive)[0].body
        platform.wait_for(lambda: platform.connected_streams, what="SSE connection", alive=worker.alive)
        platform.enqueue("t1", "fix the greeting typo", model="openai/test-model")
        platform.enqueue("t2", "what is in this project?", metadata={"model": "openai:test-model"})
        first, second = released(platform, "t1", worker), released(platform, "t2", worker)
        assert worker.stop() == 0, worker.output

    assert register["worker_id"].startswith("wrk_") and register["name"] == "dev-box"
    assert register["codebases"] == [str(workspace)] and register["hostname"]
    assert {"id": "openai/gpt-4o", "name": "gpt-4o", "provider": "openai", "provider_id": "openai"} \
        in register["models"]
    assert register["capabilities"] == ["ralph", "swarm", "rlm", "a2a", "mcp"]  # as the seed registers
    worker_id = register["worker_id"]

    assert first["status"] == "completed" and first["error"] is None and first["session_id"]
    assert "Fixed the greeting in app.py." in first["result"]
    assert second["status"] == "completed" and "one function, greet" in second["result"]
    assert first["session_id"] != second["session_id"]
    assert '"hello"' in (workspace / "app.py").read_text()  # the coding task really changed the file
    # One at a time: the second task is claimed only after the first was reported.
    calls = platform.calls
    assert calls.index(platform.claims("t2")[0]) > calls.index(platform.releases("t1")[0])
    assert len(platform.claims("t1")) == len(platform.claims("t2")) == 1
    assert all(c.headers["x-worker-id"] == worker_id for c in platform.claims() + platform.releases())
    # Output streamed in order: tool activity and text, as the spec's payload lines.
    out = platform.tasks["t1"].outputs
    assert out == ["[tool:start:read]", out[1], "Fixing the typo.", "[tool:start:edit]", out[4],
                   "Fixed the greeting in app.py."]
    assert out[1].startswith("[tool:read:ok] ") and "helo" in out[1] and out[4].startswith("[tool:edit:ok] ")
    output_bodies = platform.calls_to("POST", "/v1/opencode/tasks/t1/output")
    assert all(c.body["worker_id"] == worker_id for c in output_bodies)
    # The model named by the task (":" translated to "/") was used.
    assert [r.body["model"] for r in llm_server.requests] == ["test-model"] * 4
    beats = [c.body for c in platform.calls_to("POST", f"/v1/opencode/workers/{worker_id}/heartbeat")]
    assert {b["status"] for b in beats} == {"idle", "processing"}
    assert all(b["worker_id"] == worker_id and b["agent_name"] == "dev-box" for b in beats)
    stream = platform.calls_to("GET", "/v1/worker/tasks/stream")[0]
    assert stream.query == {"agent_name": "dev-box", "worker_id": worker_id}
    assert stream.headers["accept"] == "text/event-stream" and stream.headers["x-codebases"] == str(workspace)
    assert API_KEY not in worker.output and "Traceback" not in worker.output


def test_stream_drop_mid_task_reconnects_without_losing_or_duplicating(start_worker, llm_server):
    llm_server.script(Stall(1.0, Reply(text="Reading first.", tool_calls=[ToolCall("read", {"path": "app.py"})])),
                      Reply(text="Done with t1."), Reply(text="Done with t2."))
    # redeliver: the platform re-sends every task (claimed ones too) on each connect and poll.
    with PlatformServer(redeliver=True) as platform:
        worker = start_worker(platform, "--max-concurrent", "1")
        platform.wait_for(lambda: platform.connected_streams, what="SSE connection", alive=worker.alive)
        platform.enqueue("t1", "look at app.py", model="openai/test-model")
        llm_server.wait_for_requests(1, timeout=30)  # t1 is running
        assert platform.drop_streams(abrupt=True) == 1
        platform.outage = 503  # the platform is down while t1 writes output and finishes
        platform.enqueue("t2", "and now t2", model="openai/test-model")  # nobody is connected to hear of it
        time.sleep(2.0)
        platform.outage = None
        first, second = released(platform, "t1", worker), released(platform, "t2", worker)
        time.sleep(1.0)  # room for a wrong duplicate claim or report to show up
        assert worker.stop() == 0, worker.output

    assert first["status"] == second["status"] == "completed"
    assert "Done with t1." in first["result"] and "Done with t2." in second["result"]
    assert len(platform.calls_to("GET", "/v1/worker/tasks/stream")) >= 2
    assert "reconnecting" in worker.output and "connected to the task stream again" in worker.output
    # Each task claimed once and reported once, although both were offered again and again. Requests the
    # simulated outage answered 503 never reached the platform; every other one counts.
    for task_id in ("t1", "t2"):
        assert len([c for c in platform.claims(task_id) if c.status != 503]) == 1
        assert len([c for c in platform.releases(task_id) if c.status != 503]) == 1
        assert len(platform.releases(task_id, accepted=True)) == 1
        assert platform.tasks[task_id].status == "completed"
    # Output written during the outage was retried, not lost, and arrived once, in order.
    out = platform.tasks["t1"].outputs
    assert out[0] == "Reading first." and out[1] == "[tool:start:read]" and out[2].startswith("[tool:read:ok]")
    assert out[3:] == ["Done with t1."]


def test_a_result_the_platform_cannot_take_yet_is_retried_and_reported_once(start_worker, llm_server):
    llm_server.script(Reply(text="Result that must not be lost."))
    with PlatformServer() as platform:
        worker = start_worker(platform)
        platform.wait_for(lambda: platform.connected_streams, what="SSE connection", alive=worker.alive)
        platform.outage, platform.outage_paths = 503, ("/v1/worker/tasks/release",)
        platform.enqueue("t1", "answer", model="openai/test-model")
        platform.wait_for(lambda: len(platform.releases("t1")) >= 2, what="two refused reports", alive=worker.alive)
        platform.outage = None
        body = released(platform, "t1", worker)
        time.sleep(0.5)
        assert worker.stop() == 0, worker.output
    assert body["status"] == "completed" and body["result"] == "Result that must not be lost."
    assert [c.status for c in platform.releases("t1")][-1] == 200
    assert len(platform.releases("t1", accepted=True)) == 1 and platform.tasks["t1"].outputs == [body["result"]]


def test_sigterm_lets_the_task_in_flight_finish_within_the_grace_period(start_worker, llm_server):
    llm_server.script(Stall(1.5, Reply(text="Finished in time.")))
    with PlatformServer() as platform:
        worker = start_worker(platform)
        platform.wait_for(lambda: platform.connected_streams, what="SSE connection", alive=worker.alive)
        platform.enqueue("t1", "a slow answer", model="openai/test-model")
        llm_server.wait_for_requests(1, timeout=30)
        worker.signal(signal.SIGTERM)
        time.sleep(0.2)
        platform.enqueue("t2", "arrives during shutdown", model="openai/test-model")
        assert worker.wait() == 0, worker.output

    release = platform.releases("t1")
    assert len(release) == 1 and release[0].body["status"] == "completed"
    assert release[0].body["result"] == "Finished in time."
    assert not platform.claims("t2") and platform.tasks["t2"].status == "pending"  # left for another worker
    assert "SIGTERM received: shutting down; finishing task t1" in worker.output


def test_sigterm_past_the_grace_period_stops_the_task_and_reports_it_failed(start_worker, llm_server):
    marker = f"{time.time_ns() % 10**6}.5"
    llm_server.script(Reply(text="Starting a long job.", tool_calls=[ToolCall("bash", {"command": f"sleep {marker}"})]))
    with PlatformServer() as platform:
        worker = start_worker(platform, "--auto-approve", "all", env={"CODETETHER_WORKER_GRACE_SECS": "1"})
        platform.wait_for(lambda: platform.connected_streams, what="SSE connection", alive=worker.alive)
        platform.enqueue("t1", "run the long job", model="openai/test-model")
        platform.wait_for(lambda: "[tool:start:bash]" in platform.tasks["t1"].outputs, what="bash start", alive=worker.alive)
        assert wait_until(lambda: processes_with(f"sleep {marker}"))
        started = time.monotonic()
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0, worker.output
        assert time.monotonic() - started < 15

    release = platform.releases("t1")
    assert len(release) == 1, worker.output
    body = release[0].body
    assert body["status"] == "failed" and "grace period" in body["error"] and body["session_id"]
    assert body["result"] == "Starting a long job."
    assert not processes_with(f"sleep {marker}")  # the bash child was killed, not orphaned


def test_polling_fallback_when_the_platform_has_no_stream(start_worker, llm_server):
    llm_server.script(Reply(text="Answered via polling."))
    with PlatformServer(sse=False, wrap_pending=False) as platform:
        worker = start_worker(platform, env={"CODETETHER_WORKER_POLL_SECS": "0.3"})
        platform.wait_for(lambda: platform.calls_to("GET", "/v1/worker/tasks/stream"), what="stream attempt", alive=worker.alive)
        platform.enqueue("t1", "hello", model="openai/test-model")
        body = released(platform, "t1", worker)
        assert worker.stop() == 0, worker.output
    assert body["status"] == "completed" and body["result"] == "Answered via polling."
    assert len(platform.claims("t1")) == 1 and "polling every 0.3s" in worker.output


def test_task_problems_are_claimed_and_reported_failed_with_the_reason(start_worker, llm_server, tmp_path):
    with PlatformServer() as platform:
        worker = start_worker(platform)
        platform.wait_for(lambda: platform.connected_streams, what="SSE connection", alive=worker.alive)
        platform.enqueue("t1", "write a poem", agent_type="poet")
        platform.enqueue("t2", "work elsewhere", workspace=str(tmp_path))
        platform.enqueue_swarm("t3", "split this up", max_subagents="many")
        bodies = [released(platform, t, worker) for t in ("t1", "t2", "t3")]
        assert worker.stop() == 0, worker.output
    assert all(b["status"] == "failed" for b in bodies)
    assert "unknown agent_type 'poet'" in bodies[0]["error"] and "not registered with this worker" in bodies[1]["error"]
    assert "metadata.max_subagents must be a whole number" in bodies[2]["error"] and not llm_server.requests


def test_bare_codetether_with_codetether_server_runs_the_worker(start_worker, llm_server):
    with PlatformServer(token=TOKEN) as platform:
        worker = start_worker("", command=(), env={"CODETETHER_SERVER": platform.url, "CODETETHER_TOKEN": TOKEN,
                                                   "CODETETHER_WORKER_NAME": "from-env"})
        register = platform.wait_for(lambda: platform.calls_to("POST", "/v1/opencode/workers/register"),
                                     what="registration", alive=worker.alive)[0]
        assert worker.stop() == 0, worker.output
    assert register.body["name"] == "from-env" and register.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in worker.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codetether", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("token, status", [(None, 401), ("wrong-token-value", 403)], ids=["no-token", "wrong-token"])
def test_refused_token_is_one_clear_error(base_env, workspace, token, status):
    with PlatformServer(token=TOKEN) as platform:
        proc = _run(["worker", "--server", platform.url, *(["--token", token] if token else [])], base_env, workspace)
    assert proc.returncode == 1
    assert f"error: the platform at {platform.url} refused the worker token (HTTP {status}" in proc.stderr
    assert "Traceback" not in proc.stderr and TOKEN not in proc.stderr
    assert token is None or token not in proc.stderr


@pytest.mark.parametrize("command", [["worker", "--server"], ["--server"]], ids=["worker", "root-flag"])
def test_unreachable_server_is_one_clear_error(base_env, workspace, command):
    url = f"http://127.0.0.1:{_closed_port()}"
    proc = _run([*command, url], base_env, workspace)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0].startswith(f"error: cannot reach the CodeTether platform at {url}: ")


@pytest.mark.parametrize("args, needle", [
    (["worker", "--server", "api.codetether.run"], "error: --server / CODETETHER_SERVER is not an http(s) URL"),
    (["worker", "--server", "http://127.0.0.1:9", "--workspace", "/no/such/dir"], "--workspace /no/such/dir"),
    (["worker"], "error: the worker needs the platform's URL"),
])
def test_bad_worker_input_names_the_field(base_env, workspace, args, needle):
    proc = _run(args, base_env, workspace)
    assert proc.returncode in (1, 2) and needle in proc.stderr and "Traceback" not in proc.stderr
