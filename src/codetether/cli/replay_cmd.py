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
from typing import Any

from codetether.errors import CodetetherError, UsageError
from codetether.session.store import SessionStore

SHOWN_LINES = 12


def replay_session(store: SessionStore, args: argparse.Namespace) -> int:
    """`sessions replay ID` (a stored session) or `sessions replay --bundle FILE` / `FILE.json` (an exported one)."""
    from codetether.config.load import load
    from codetether.session.replay import Step, replay

    against = Path(args.against).resolve() if args.against else None
    if against is not None and not against.is_dir():
        raise UsageError(f"--against {args.against} is not a directory")
    bundle = _bundle_path(args)
    repository = None
    if bundle is not None:
        from codetether.gitinfo import project_for
        from codetether.session.bundle import load_bundle

        recording = load_bundle(bundle)
        repository, against = project_for(against or Path.cwd()).root, None
    else:
        from codetether.session.recording import from_store

        recording = from_store(store, store.resolve_id(args.id))

    def progress(step: Step) -> None:
        if not args.json:
            print(f"{'  ok' if step.same else 'DIFF'} turn {step.turn} step {step.number}: {step.name}",
                  file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="codetether-replay-") as tmp:
        report = asyncio.run(replay(load(), recording, Path(tmp) / "workspace", until=args.until, against=against,
                                    repository=repository, on_step=progress))
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


def export_replay_bundle(store: SessionStore, session_id: str) -> dict[str, Any]:
    """The session's replay bundle, once every secret codetether can know of is known, so redaction catches it."""
    from codetether.config.load import load
    from codetether.provider.env_keys import secrets_from_env
    from codetether.provider.registry import load_secrets
    from codetether.session.bundle import export_bundle

    store.get(session_id)  # an unknown session is the error before Vault is asked anything
    secrets_from_env(skip=set())  # keys in the environment are redacted whether or not they are used
    try:
        asyncio.run(load_secrets(load()))  # the Vault token and every provider's secret
    except CodetetherError as exc:
        raise CodetetherError(f"cannot learn the secrets to redact from the bundle: {exc.message}",
                              "The bundle is written only once every stored key can be redacted; "
                              + (exc.hint or "check VAULT_ADDR and that Vault is running.")) from None
    return export_bundle(store, session_id)


def _bundle_path(args: argparse.Namespace) -> Path | None:
    if args.bundle and args.id:
        raise UsageError("give a session id or --bundle FILE, not both")
    if args.bundle:
        return Path(args.bundle)
    if not args.id:
        raise UsageError("give a session id or a bundle: `sessions replay ID` or `sessions replay --bundle FILE`")
    return Path(args.id) if args.id.endswith(".json") or Path(args.id).is_file() else None


def _block(label: str, text: str | None) -> str:
    if text is None:
        return f"  {label}: (no such call)"
    lines = text.splitlines() or [""]
    more = f"\n    ... {len(lines) - SHOWN_LINES} more line(s)" if len(lines) > SHOWN_LINES else ""
    return f"  {label}:\n" + "\n".join(f"    {line}" for line in lines[:SHOWN_LINES]) + more
