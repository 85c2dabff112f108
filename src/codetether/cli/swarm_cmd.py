"""`codetether swarm "task"`: decompose, run sub-agents in parallel, merge, and print the SwarmResult."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from codetether.config.load import load
from codetether.config.swarm import swarm_config
from codetether.errors import CodetetherError
from codetether.swarm.executor import Progress, Reporter
from codetether.swarm.result import SwarmResult, SwarmStats, text_summary
from codetether.swarm.runner import run_swarm


def execute(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    try:
        config = load()
        cfg = swarm_config(config.extra, str(config.path or "config")).with_overrides(
            max_subagents=args.max_subagents, max_steps_per_subagent=args.max_steps,
            subagent_timeout_secs=args.timeout, execution_mode=args.execution_mode,
            k8s_pod_budget=args.k8s_pod_budget, k8s_subagent_image=args.k8s_image,
            worktree_enabled=False if args.no_worktree else None)
        result = await run_swarm(config, cfg, " ".join(args.task), strategy=args.strategy, cwd=Path.cwd(),
                                 model_id=args.model, report=_progress_reporter())
    except CodetetherError as exc:
        if args.json:
            print(json.dumps(SwarmResult(False, "", [], SwarmStats(), [], exc.message).to_dict(), indent=2))
        raise
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(text_summary(result))
    if result.error and not args.json:
        print(f"error: {result.error}", file=sys.stderr)
    return 0 if result.success else 1


def _progress_reporter() -> Reporter:
    """Progress as lines on stderr while the swarm runs (stdout keeps only the result, so --json stays clean)."""
    started = time.monotonic()

    def report(message: str, progress: Progress) -> None:
        clock = f"{time.monotonic() - started:6.1f}s"
        try:
            print(f"[swarm {clock}] {message}  ({progress.line()})", file=sys.stderr, flush=True)
        except (BrokenPipeError, ValueError):
            pass  # stderr's reader went away: the swarm itself goes on

    return report
