"""Cancelling an A2A task whose agent is running a pod-mode swarm deletes the swarm's pods."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from a2a.client import ClientConfig, create_client
from a2a.types import CancelTaskRequest, TaskState

from tests.a2a.serve.conftest import start_serve, stop, user_message
from tests.harness.k8s_cluster import Cluster
from tests.harness.llm_server import Reply, Stall, ToolCall
from tests.swarm.conftest import router
from tests.swarm.k8s.conftest import POD_SWARM


def test_cancelled_task_leaves_no_pod(swarm_cli, llm_server, repo: Path, cluster: Cluster, tmp_path: Path):
    config = Path(swarm_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.write_text(POD_SWARM + 'execution_mode = "kubernetes"\n')
    llm_server.router = router("unused", {
        "please swarm": [Reply(tool_calls=[ToolCall("swarm", {"task": "MARK-SLOW think long", "strategy": "none",
                                                              "model": "openai/m"})]), Reply("should not come")],
        "MARK-SLOW": [Stall(60, Reply("late"))],
    })
    served = start_serve(swarm_cli.env, repo, tmp_path / "serve.log", "--model", "openai/m")
    try:
        async def scenario() -> int:
            async with httpx.AsyncClient(timeout=60) as http:
                client = await create_client(served.url, ClientConfig(streaming=True, httpx_client=http))
                stream = client.send_message(user_message("please swarm this"))
                task_id = (await anext(stream)).task.id
                deadline = time.monotonic() + 60
                while not cluster.running():
                    assert time.monotonic() < deadline, f"no pod started:\n{served.output}"
                    await asyncio.sleep(0.05)
                cancelled = await client.cancel_task(CancelTaskRequest(id=task_id))
                await stream.aclose()
                return cancelled.status.state

        assert asyncio.run(scenario()) == TaskState.TASK_STATE_CANCELED
        deadline = time.monotonic() + 15
        while cluster.pods() or cluster.running():
            assert time.monotonic() < deadline, f"pods left after the cancel: {cluster.pods()}\n{served.output}"
            time.sleep(0.05)
        assert len(cluster.created) == 1 and served.proc.poll() is None
    finally:
        stop(served)
