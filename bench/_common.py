"""Shared by the bench scripts: run counts (BENCH_QUICK), headline figures for run_all's summary, tree RSS, the
CLI's environment and workspace."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def runs(default: int, quick: int) -> int:
    """How many repetitions a figure gets: fewer under BENCH_QUICK=1."""
    return quick if QUICK else default


@contextmanager
def stack(**llm_options: Any) -> Iterator[tuple[Any, Any, str]]:
    """(OpenBao, the scripted LLM server as provider openai in it, a temporary HOME), torn down afterwards."""
    # Imported here: the caller has put the repo root on sys.path; run_all, which needs none of this, has not.
    from tests.harness.llm_server import LLMServer
    from tests.harness.vault import VaultDevServer

    with VaultDevServer() as vault, LLMServer(**llm_options) as llm, tempfile.TemporaryDirectory() as home:
        vault.put_provider("openai", api_key="sk-bench-0000000000", base_url=llm.base_url_openai)
        yield vault, llm, home


def cli_env(vault_env: dict[str, str], home: str, **extra: str) -> dict[str, str]:
    """The CLI's environment under `home`: ours minus VAULT_*/CODETETHER_* (so no real config leaks in), plus the
    bench Vault's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CODETETHER_"))}
    env.update(vault_env, HOME=home, XDG_CONFIG_HOME=f"{home}/.config", CODETETHER_DATA_DIR=f"{home}/data", **extra)
    return env


def reader_workspace(home: str, files: int) -> Path:
    """`home`/work with src/file0.py .. src/file{files-1}.py, the files the `read`-loop benches have the agent read."""
    work = Path(home) / "work"
    (work / "src").mkdir(parents=True)
    for i in range(files):
        (work / "src" / f"file{i}.py").write_text(f"def f{i}():\n    return {i}\n" * 20)
    return work


def emit(metric: str, samples: Sequence[float], unit: str, target: float | None = None,
         higher_is_better: bool = False, key: str | None = None) -> None:
    """Append one headline figure (min and median of `samples`) to $BENCH_SUMMARY as a JSON line, if set."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path or not samples:
        return
    row = {"key": key or metric, "metric": metric, "min": min(samples), "median": statistics.median(samples),
           "n": len(samples), "unit": unit, "target": target, "higher_is_better": higher_is_better}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def tree_rss_kb(pid: int) -> int:
    """VmRSS summed over pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
    return total


def tree_peak_mb(cmd: list[str], env: dict[str, str], cwd: str, interval: float = 0.005) -> tuple[float, int]:
    """(peak summed RSS MB of the process tree, exit code) of one run, sampled from /proc every `interval` s."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)  # reaps it: the zombie no longer counts afterwards
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # A process shorter than one sampling interval can slip by: its own ru_maxrss is a floor.
    return max(peak, usage.ru_maxrss) / 1024, proc.returncode
