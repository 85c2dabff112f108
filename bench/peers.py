"""Peers' figures for run_all's summary: measured now with ../shared/bench-peers when its CLIs are installed,
else read from that kit's RESULTS.md (marked as such). Keys match the ones the bench scripts emit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[2] / "shared" / "bench-peers"
ROOT = Path(os.environ.get("PEERS_ROOT", "/tmp/peers"))
# kit id -> (short name, label in RESULTS.md, CLI the kit installs under $PEERS_ROOT)
PEERS = {"codex": ("codex", "Codex CLI", "npm-codex/node_modules/.bin/codex"),
         "claude": ("claude", "Claude Code", "npm-claude/node_modules/.bin/claude"),
         "opencode": ("opencode", "opencode", "npm-opencode/node_modules/.bin/opencode"),
         "gemini": ("gemini", "Gemini CLI", "npm-gemini/node_modules/.bin/gemini"),
         "aider": ("aider", "aider", "venv-aider/bin/aider"),
         "mini": ("mini", "mini-swe-agent", "venv-mini/bin/mini")}
Figures = dict[str, dict[str, float]]  # metric key -> {short name: median}


def installed() -> list[str]:
    return [kit for kit, (_, _, cli) in PEERS.items() if (ROOT / cli).exists()]


def figures(startup_runs: int, oneshot_runs: int) -> tuple[Figures, str]:
    """(figures, where they come from); empty when neither the kit's CLIs nor its RESULTS.md are here."""
    peers = installed() if os.environ.get("BENCH_PEERS", "1") != "0" else []
    if peers and (KIT / "run_all.sh").exists():
        out = Path(tempfile.mkdtemp(prefix="bench-peers-"))
        env = {**os.environ, "PEERS": " ".join(peers), "RESULTS": str(out), "PEERS_ROOT": str(ROOT),
               "STARTUP_RUNS": str(startup_runs), "ONESHOT_RUNS": str(oneshot_runs)}
        print(f"\n## peers: measuring {', '.join(peers)} with {KIT / 'run_all.sh'} (results in {out})", flush=True)
        code = subprocess.call(["bash", str(KIT / "run_all.sh")], env=env)
        measured = from_results_dir(out, peers)
        if measured:
            return measured, "measured in this run" + ("" if code == 0 else f" (kit exit {code})")
        print("peers: the kit measured nothing; falling back to its RESULTS.md", flush=True)
    if (KIT / "RESULTS.md").exists():
        return from_results_md((KIT / "RESULTS.md").read_text()), "(RESULTS.md)"
    return {}, "n/a: ../shared/bench-peers not found"


def _load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _hf_median(data: dict | None, name: str) -> float | None:
    return next((r["median"] for r in (data or {}).get("results", []) if r.get("command") == name), None)


def from_results_dir(r: Path, peers: list[str]) -> Figures:
    """Figures from the raw files run_all.sh writes (hyperfine JSON, treerss JSON, analyze_requests JSON)."""
    fig: Figures = {}

    def put(key: str, who: str, value: float | None) -> None:
        if value is not None:
            fig.setdefault(key, {})[who] = value

    base = _load(r / "baseline-startup.json")
    venv = _load(r / "baseline-httpx-startup.json")
    put("python_ms", "pyenv python", (_hf_median(base, "python3.11 -c pass") or 0) * 1000 or None)
    put("python_ms", "venv python", (_hf_median(venv, "venv python3.11 -c pass") or 0) * 1000 or None)
    for kit in peers:
        short = PEERS[kit][0]
        startup = _load(r / f"{kit}-startup.json")
        for key, name in (("version_ms", "version"), ("help_ms", "help")):
            med = _hf_median(startup, name)
            put(key, short, med * 1000 if med is not None else None)
        put("oneshot_s", short, _hf_median(_load(r / f"{kit}-oneshot-hf.json"), "oneshot"))
        tree = (_load(r / f"{kit}-oneshot-tree.json") or {}).get("peak_tree_rss_kb")
        put("oneshot_mb", short, tree / 1024 if tree else None)
        main = ((_load(r / f"{kit}-requests.json") or {}).get("main") or {}).get("body_chars")
        for key in ("req_bytes", "req_bytes_full"):
            put(key, short, main)
        for key in ("req_tokens", "req_tokens_full"):
            put(key, short, main / 4 if main else None)
    return fig


def _rows(section: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("|") and not line.startswith("|---")]


def _num(text: str, index: int = 0) -> float | None:
    found = re.findall(r"\d[\d,]*(?:\.\d+)?", text)
    return float(found[index].replace(",", "")) if len(found) > index else None


def from_results_md(text: str) -> Figures:
    """Figures from the kit's RESULTS.md tables 1 (startup), 2 (one-shot) and 3 (first request)."""
    sections = {m.group(1): text[m.end():] for m in re.finditer(r"^## (\d)\.", text, re.M)}
    fig: Figures = {}

    def peer(label: str) -> str | None:  # the plain row of each peer, not its variants
        return next((s for s, name, _ in PEERS.values() if label == name or label.startswith(name + " (")), None)

    for row in _rows(sections.get("1", "").split("\n## ")[0]):
        who = peer(row[0])
        if who and len(row) > 2:
            fig.setdefault("version_ms", {})[who] = _num(row[1], 1) or 0
            if _num(row[2], 1) is not None:
                fig.setdefault("help_ms", {})[who] = _num(row[2], 1) or 0
        elif row[0].startswith("baseline `python3.11 -c pass`"):
            fig.setdefault("python_ms", {})["pyenv python"] = _num(row[1], 1) or 0
        elif row[0].startswith("baseline venv `python3.11 -c pass`"):
            fig.setdefault("python_ms", {})["venv python"] = _num(row[1], 1) or 0
    for row in _rows(sections.get("2", "").split("\n## ")[0]):
        who = peer(row[0])
        if who and len(row) > 4:
            fig.setdefault("oneshot_s", {})[who] = _num(row[1], 1) or 0
            fig.setdefault("oneshot_mb", {})[who] = _num(row[4]) or 0
    for row in _rows(sections.get("3", "").split("\n## ")[0]):
        who = peer(row[0].split(" (`")[0]) if " (`" in row[0] else None
        if who and len(row) > 2:
            size = _num(row[2]) or 0
            for key in ("req_bytes", "req_bytes_full"):
                fig.setdefault(key, {})[who] = size
            for key in ("req_tokens", "req_tokens_full"):
                fig.setdefault(key, {})[who] = size / 4
    return fig
