"""`codetether serve`: accept A2A tasks from other agents and run each through the agent loop."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from codetether.config.load import load


def execute(args: argparse.Namespace) -> int:
    # The a2a-sdk opens a tracing span around every call it makes (~6% of a task's CPU). serve sets up no tracer,
    # so they go nowhere; whoever exports traces says so with OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=true.
    os.environ.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")
    from codetether.a2a.executor import TaskSettings  # the a2a-sdk is heavy: only this command pays for it
    from codetether.a2a.queues import use_asyncio_queues
    from codetether.agent.kit import AgentKit
    from codetether.server.serve import serve

    use_asyncio_queues()

    config = load()
    settings = TaskSettings(config, Path.cwd(), model=args.model, agent=args.agent, assume_yes=args.yes, kit=AgentKit(config),
                            max_steps=args.max_steps)
    serve(settings, args.hostname, args.port, args.public_url, args.max_wait, args.max_body_mb * 1024 * 1024)
    return 0
