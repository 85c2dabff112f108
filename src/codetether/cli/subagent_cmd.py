"""`codetether swarm-subagent --payload-env VAR` (hidden): a Kubernetes pod's entrypoint for one swarm subtask."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal


def execute(args: argparse.Namespace) -> int:
    return asyncio.run(_main(args.payload_env))


async def _main(env_name: str) -> int:
    from codetether.swarm.k8s.remote import run_payload

    # As a container's PID 1 the default SIGTERM disposition is ignored: deleting the pod must still stop us.
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await run_payload(os.environ.get(env_name), env_name)
    except asyncio.CancelledError:
        return 143
