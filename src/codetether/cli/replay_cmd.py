"""`codetether sessions replay ID`: re-run a recorded session's tool calls in a fresh copy of its workspace, the
model answered from the recording, and report the first step whose result differs."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from codetether.errors import UsageError
from codetether.session.store import SessionStore

SHOWN_LINES = 12


def replay_session(store: SessionStore, args: argparse.Namespace) -> int:
    from codetether.config.load import load
    from codetether.session.replay import Step, replay

    info = store.get(store.resolve_id(args.id))
    against = Path(args.against).resolve() if args.against else None
    if against is not None and not against.is_dir():
        raise UsageError(f"--against {args.against} is not a directory")

    def progress(step: Step) -> None:
        if not args.json:
            print(f"{'  ok' if step.same else 'DIFF'} turn {step.turn} step {step.number}: {step.name}",
                  file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="codetether-replay-") as tmp:
        report = asyncio.run(replay(load(), store, info.id, Path(tmp) / "workspace", until=args.until,
                                    against=against, on_step=progress))
    first = report.first_difference
    if args.json:
        print(json.dumps({"session_id": report.session_id, "workspace": report.workspace, "turns": report.turns,
                          "steps": len(report.steps), "differences": sum(not s.same for s in report.steps),
                          "first_difference": asdict(first) if first else None}, indent=2, ensure_ascii=False))
        return 1 if first else 0
    summary = f"replayed {report.turns} turn(s), {len(report.steps)} tool call(s) in {report.workspace}"
    if first is None:
        print(f"{summary}: no differences")
        return 0
    print(f"{summary}: {sum(not s.same for s in report.steps)} differ")
    print(f"first difference: turn {first.turn}, step {first.number}: {first.name} {first.arguments}")
    print(_block("recorded", first.recorded))
    print(_block("replayed", first.replayed))
    return 1


def _block(label: str, text: str | None) -> str:
    if text is None:
        return f"  {label}: (no such call)"
    lines = text.splitlines() or [""]
    more = f"\n    ... {len(lines) - SHOWN_LINES} more line(s)" if len(lines) > SHOWN_LINES else ""
    return f"  {label}:\n" + "\n".join(f"    {line}" for line in lines[:SHOWN_LINES]) + more
