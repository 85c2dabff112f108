"""`codetether serve`: accept A2A tasks from other agents and run each through the agent loop."""

from __future__ import annotations

import argparse
from pathlib import Path

from codetether.config.load import load


def execute(args: argparse.Namespace) -> int:
    from codetether.server.tuning import prepare_process

    prepare_process()  # before the a2a-sdk is imported: the sdk is heavy, only this command pays for it
    from codetether.a2a.executor import TaskSettings
    from codetether.agent.kit import AgentKit
    from codetether.server.serve import serve

    config = load()
    settings = TaskSettings(config, Path.cwd(), model=args.model, agent=args.agent, assume_yes=args.yes, kit=AgentKit(config),
                            max_steps=args.max_steps)
    serve(settings, args.hostname, args.port, args.public_url, args.max_wait, args.max_body_mb * 1024 * 1024)
    return 0
