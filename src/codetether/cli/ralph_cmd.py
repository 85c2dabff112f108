"""`codetether ralph create-prd | run | status`: the autonomous PRD loop from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from codetether.errors import CodetetherError

EXIT_CODES = {"completed": 0, "max_iterations": 3, "quality_failed": 3, "stopped": 130, "error": 1}


def execute(args: argparse.Namespace) -> int:
    return {"create-prd": _create, "run": _run, "status": _status}[args.ralph_command](args)


def log(message: str) -> None:
    print(f"[ralph] {message}", file=sys.stderr, flush=True)


def _create(args: argparse.Namespace) -> int:
    from codetether.ralph import create
    from codetether.ralph.detect import detect_checks

    path, cwd = Path(args.output), Path.cwd()
    if path.exists() and not args.force:  # before asking a model for anything
        raise CodetetherError(f"{path} already exists; not overwriting it", "Pass --force, or choose --output.")
    if args.from_text is not None:
        if not args.from_text.strip():
            raise CodetetherError("--from is empty; describe the feature to draft stories for")
        from codetether.config.load import load

        data = asyncio.run(create.draft_prd(load(), model_id=args.model, feature=args.feature,
                                            project=args.project_name, description=args.from_text, cwd=cwd, log=log))
    else:
        data = create.template(args.feature, args.project_name, cwd)
    prd = create.write_prd(path, data, force=args.force)
    kind = detect_checks(cwd)[1]
    checks = ", ".join(f"{name} `{command}`" for name, command in prd.quality_checks)
    print(f"Wrote {path}: {len(prd.stories)} stories on branch {prd.branch}. "
          f"Edit it, then: codetether ralph run -p {path}")
    if checks:
        print(f"Quality checks{f' for a {kind} project' if kind else ''}: {checks}")
    else:
        print("No quality checks: no Cargo.toml, pyproject.toml, package.json or go.mod here; add them to "
              "quality_checks in the PRD, or stories pass on the agent's word alone.")
    return 0


def _run(args: argparse.Namespace) -> int:
    from codetether.cli.output import TextRenderer
    from codetether.config.load import load
    from codetether.ralph.loop import RalphLoop, RalphOptions
    from codetether.ralph.report import status_dict, status_text

    options = RalphOptions(Path(args.prd), args.model, args.max_iterations, args.check_timeout, args.max_steps,
                           args.yes)
    try:
        ralph = RalphLoop(load(), options, log=log, sink=TextRenderer(out=sys.stderr, err=sys.stderr))
        summary = asyncio.run(ralph.run())
    except CodetetherError as exc:
        if args.json:
            print(json.dumps({"status": "error", "error": exc.message}, indent=2))
        raise
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(status_text(status_dict(Path(args.prd))))
        print(f"\n{summary.status}: {summary.iterations} iterations, {summary.usage.total_tokens} tokens, "
              f"${summary.cost_usd:.4f}, {summary.elapsed_s:.1f} s")
    if summary.error:
        print(f"error: {summary.error}", file=sys.stderr)
    return EXIT_CODES.get(summary.status, 1)


def _status(args: argparse.Namespace) -> int:
    from codetether.ralph.report import status_dict, status_text

    info = status_dict(Path(args.prd))
    print(json.dumps(info, indent=2, ensure_ascii=False) if args.json else status_text(info))
    return 0
