"""`codetether swarm` shows progress on stderr while it runs (each subtask started and finished, with its time);
stdout holds only the result, so --json stays parseable; a lone subtask claims no speedup."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.harness.llm_server import Reply, Stall
from tests.swarm.conftest import plan_json, router, writes

PLAN = plan_json(
    {"id": "alpha", "name": "Alpha", "instruction": "MARK-ALPHA: create alpha.txt", "dependencies": []},
    {"id": "beta", "name": "Beta", "instruction": "MARK-BETA: think a while", "dependencies": []},
)


def test_progress_streams_on_stderr_and_json_stays_clean(swarm_cli, llm_server, repo: Path):
    llm_server.router = router(PLAN, {"MARK-ALPHA": writes("alpha.txt", "A\n", "alpha finished"),
                                      "MARK-BETA": [Stall(3, Reply("beta finished"))]})
    proc = subprocess.Popen([sys.executable, "-m", "codetether", "swarm", "--model", "openai/m", "--json",
                             "two things"], cwd=repo, env=swarm_cli.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_while_running = []
    deadline = time.monotonic() + 120
    for line in proc.stderr:  # read as it is written: progress arrives before the swarm ends
        seen_while_running.append((line, proc.poll() is None))
        if "alpha: done" in line or time.monotonic() > deadline:
            break
    rest_err = proc.stderr.read()
    out = proc.stdout.read()
    assert proc.wait(60) == 0, rest_err
    data = json.loads(out)  # nothing but the SwarmResult on stdout
    assert data["success"] is True
    assert any("alpha: started" in line and running for line, running in seen_while_running)
    assert seen_while_running[-1][1], "the finish of alpha was reported while beta still ran"
    err = "".join(line for line, _ in seen_while_running) + rest_err
    for sub in ("alpha", "beta"):
        assert re.search(rf"\[swarm +\d+\.\ds\] {sub}: started", err), err
        assert re.search(rf"{sub}: done in \d+\.\ds \(\d+ steps", err), err
    assert data["stats"]["speedup_factor"] > 0


def test_one_subtask_reports_no_speedup(swarm_cli, llm_server, repo: Path):
    llm_server.router = router("not used", {"": [Reply("all good")]})
    text = swarm_cli("swarm", "--model", "openai/m", "--strategy", "none", "check")
    assert text.returncode == 0, text.stderr
    assert "Speedup" not in text.stdout and "Subtasks: 1" in text.stdout
    assert re.search(r": done in \d+\.\ds", text.stderr), text.stderr
    data = json.loads(swarm_cli("swarm", "--model", "openai/m", "--strategy", "none", "--json", "check").stdout)
    assert data["stats"]["speedup_factor"] == 1.0
