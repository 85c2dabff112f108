#!/usr/bin/env python3
"""Import-time profile (`python -X importtime`) of every command's start, so no command imports what it does not use.

A command's start is what `codetether CMD` imports before its handler runs: the dispatch path (cli.dispatch,
cli.parser, the crash-queue check) plus the handler module from cli/dispatch.py HANDLERS; `--version` and `--help` take
their own short path in cli/__init__.py. Each is imported in a fresh interpreter, N times; the fastest run is
reported (total ms including the interpreter's own start, ms and modules beyond `python -c pass`, and the heavy
packages it pulls with their self time). `--detail CMD` prints the 25 modules with the most self time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from _common import emit, runs

from codetether.cli.dispatch import HANDLERS

HEAVY = ("textual", "rich", "a2a", "starlette", "uvicorn", "sse_starlette", "mcp", "numpy", "tree_sitter",
         "tokenizers", "botocore", "boto3", "pydantic", "pydantic_core", "httpx", "httpcore", "anyio", "h11",
         "grpc", "google", "llama_cpp", "yaml", "jinja2", "sqlalchemy", "openai", "anthropic", "asyncio", "ssl",
         "sqlite3", "email", "http")
DISPATCH = "import codetether.cli.dispatch, codetether.cli.parser, codetether.crash"
STARTS = {"--version": "from codetether.cli import main; from codetether import __version__",
          "--help": "from codetether.cli import main; from codetether.cli.commands import top_level_help",
          **{cmd: f"{DISPATCH}, {module}" for cmd, module in HANDLERS.items()}}


def profile(code: str) -> list[tuple[str, int]]:
    """(module, self µs) for every module a fresh interpreter imports while running `code`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONPROFILEIMPORTTIME")}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"`python -c {code!r}` failed:\n{proc.stderr[-1500:]}")
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            self_us, _, name = line[len("import time:"):].split("|", 2)
            rows.append((name.strip(), int(self_us)))
    return rows


def fastest(code: str, n: int) -> list[tuple[str, int]]:
    return min((profile(code) for _ in range(n)), key=lambda rows: sum(us for _, us in rows))


def heavy_of(rows: list[tuple[str, int]], baseline: set[str]) -> dict[str, float]:
    """Heavy top-level packages this start imports beyond bare Python -> their modules' summed self ms."""
    out: dict[str, float] = {}
    for name, us in rows:
        top = name.split(".", 1)[0]
        if top in HEAVY and name not in baseline:
            out[top] = out.get(top, 0.0) + us / 1000
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=runs(3, 1), help="fresh interpreters per command (min taken)")
    parser.add_argument("--detail", metavar="CMD", choices=sorted(STARTS), help="top 25 self-time modules of CMD")
    args = parser.parse_args()
    if args.detail:
        rows = sorted(fastest(STARTS[args.detail], args.runs), key=lambda r: -r[1])
        print(f"`codetether {args.detail}` start: {len(rows)} modules, {sum(us for _, us in rows) / 1000:.1f} ms")
        print(f"{'self ms':>8}  module")
        for name, us in rows[:25]:
            print(f"{us / 1000:>8.1f}  {name}")
        return 0
    base_rows = fastest("pass", args.runs)
    base_ms, base_names = sum(us for _, us in base_rows) / 1000, {n for n, _ in base_rows}
    print(f"Import-time profile of each command's start (python -X importtime, fastest of {args.runs}); "
          f"bare `python -c pass` imports {len(base_rows)} modules in {base_ms:.1f} ms")
    print(f"{'command':<11} {'total ms':>9} {'+ms':>7} {'modules':>8} {'+mods':>6}  heavy packages (self ms)")
    for cmd, code in STARTS.items():
        rows = fastest(code, args.runs)
        total = sum(us for _, us in rows) / 1000
        extra = [n for n, _ in rows if n not in base_names]
        heavy = ", ".join(f"{k} {v:.0f}" for k, v in sorted(heavy_of(rows, base_names).items(), key=lambda kv: -kv[1]))
        print(f"{cmd:<11} {total:>9.1f} {total - base_ms:>7.1f} {len(rows):>8} {len(extra):>6}  {heavy or '-'}")
        if cmd in ("--version", "--help", "run"):
            emit(f"import profile: `{cmd}` start beyond bare python (ms)", [total - base_ms], "ms",
                 key=f"import_{cmd.strip('-')}_ms")
    print("heavy packages: third-party or costly stdlib ones; `asyncio`, `ssl`, `http`, `email` are stdlib")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
