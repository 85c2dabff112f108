#!/usr/bin/env python3
"""`make bench`: run every benchmark in bench/, print their tables, then ONE summary table beside the peers.

Each script appends its headline figures to $BENCH_SUMMARY (JSON lines, see _common.emit). Peers are measured in
the same run when ../shared/bench-peers' CLIs are installed under /tmp/peers (`run_all.sh --install`; skip with
BENCH_PEERS=0), else their figures come from that kit's RESULTS.md. BENCH_QUICK=1: fewer runs, fewer scripts.
"""

from __future__ import annotations

import compileall
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import QUICK, runs
from peers import figures

HERE = Path(__file__).resolve().parent
# Order: cheapest first, so a failure late in the list still leaves the start-up figures on screen;
# codesearch's cold build (~2 min) last.
SCRIPTS = ["startup.py", "imports.py", "oneshot.py", "steps.py", "sandbox.py", "sessions.py", "grep.py", "swarm.py",
           "rlm.py", "a2a_serve.py", "tui.py", "repair.py", "acp.py", "codesearch.py"]
QUICK_SCRIPTS = ["startup.py", "imports.py", "oneshot.py", "steps.py", "swarm.py", "tui.py"]
# Summary rows: (key the scripts emit, how a value prints).
ROWS = [("python_ms", "{:.1f}"), ("version_ms", "{:.1f}"), ("help_ms", "{:.1f}"), ("oneshot_s", "{:.3f}"),
        ("oneshot_chat_s", "{:.3f}"), ("oneshot_mb", "{:.1f}"), ("req_bytes", "{:,.0f}"), ("req_tokens", "{:,.0f}"),
        ("req_bytes_full", "{:,.0f}"), ("req_tokens_full", "{:,.0f}"), ("step_ms", "{:.1f}"),
        ("steps_wall_s", "{:.3f}"), ("tui_mb", "{:.1f}"), ("tui_paint_ms", "{:.1f}"), ("tui_key_p99_ms", "{:.1f}"),
        ("tui_key_max_ms", "{:.1f}"), ("swarm_mb", "{:.0f}"), ("swarm_spawn_ms", "{:.3f}"),
        ("codesearch_cold_s", "{:.2f}"), ("codesearch_first_s", "{:.2f}"), ("codesearch_speedup", "{:.1f}"),
        ("codesearch_recall", "{:.0f}"), ("repair_score", "{:.0f}"), ("repair_score_off", "{:.0f}"), ("repair_requests", "{:.0f}"),
        ("repair_requests_off", "{:.0f}"), ("acp_first_chunk_s", "{:.3f}"), ("acp_prompt_chunk_s", "{:.3f}"),
        ("sandbox_ms", "{:.1f}"), ("serve_p50_s", "{:.3f}")]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    from importlib.metadata import PackageNotFoundError, version

    def ver(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "-"

    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (f"Machine: {os.cpu_count()} CPUs ({cpu}), {mem / 1048576:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}; load average at the end {load}.\n"
            f"Date: {datetime.date.today()}. Versions: codetether-agent {ver('codetether-agent')}, Python "
            f"{platform.python_version()}, httpx {ver('httpx')}, textual {ver('textual')}"
            f"{', BENCH_QUICK=1' if QUICK else ''}.")


def summary(path: Path, peer_figs: dict[str, dict[str, float]], source: str) -> str:
    got = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        row = json.loads(line)
        got[row["key"]] = row
    lines = [f"| metric | ours min | ours median | peers, median {source} | target | met |",
             "|---|---:|---:|---|---:|---|"]
    for key, fmt in ROWS:
        row = got.get(key)
        pfmt = "{:,.0f}" if fmt == "{:.1f}" else fmt  # peers' ms and MB need no decimals beside ours
        peer = " · ".join(f"{who} {pfmt.format(v)}" for who, v in (peer_figs.get(key) or {}).items()) or "—"
        if row is None:
            lines.append(f"| {key} (not measured) | | | {peer} | | |")
            continue
        target = row["target"]
        met = "—" if target is None else (
            "yes" if (row["median"] >= target if row["higher_is_better"] else row["median"] <= target) else "**no**")
        lines.append(f"| {row['metric']} (n={row['n']}) | {fmt.format(row['min'])} | {fmt.format(row['median'])} | "
                     f"{peer} | {'—' if target is None else fmt.format(target)} | {met} |")
    lines += ["", "Notes: min and median over the n runs shown; `target` for --version/--help is 2x this run's bare-Python "
              "median. Peers' --version: mini-swe-agent has none (its --help), Codex's is its node launcher. Peers' "
              "first request is their first with tools (they have no on-demand split, so both request rows show "
              "the same figure); ≈tokens = bytes / 4. One-shot RSS is the process tree's summed RSS for both."]
    return "\n".join(lines)


def main() -> int:
    # Bytecode up front, as `make install` and a wheel have it: the session may set PYTHONDONTWRITEBYTECODE,
    # and recompiling edited modules on every start would be measured as start-up time.
    compileall.compile_dir(str(HERE.parent / "src"), quiet=1)
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = Path(tmp) / "summary.jsonl"
        env = {**os.environ, "BENCH_SUMMARY": str(summary_path)}
        for name in QUICK_SCRIPTS if QUICK else SCRIPTS:
            script = HERE / name
            if not script.exists():
                continue
            print(f"\n## {name}", flush=True)
            started = time.monotonic()
            code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
            print(f"({name}: {time.monotonic() - started:.1f} s, exit {code})", flush=True)
            if code:
                failed.append(name)
        peer_figs, source = figures(runs(10, 3), runs(3, 1))
        print("\n## Summary (min / median over repeated runs; the bare-Python row scales the rest)\n")
        print(machine() + "\n")
        print(summary(summary_path, peer_figs, source))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
