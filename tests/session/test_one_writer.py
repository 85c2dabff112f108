"""A session has one writer at a time across processes, and a database that can't be written says so clearly."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, Stall, ToolCall


def _setup(cli, vault, server) -> None:
    vault.put_provider("openai", api_key=API_KEY, base_url=server.base_url_openai)


def _start(cli, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "codetether", *args], cwd=cli.cwd, env=cli.env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_runs_continuing_one_session_take_turns_in_order(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(Reply(text="first answer"))
    assert cli("run", "--model", "openai/m", "start the session").returncode == 0
    llm_server.script(Stall(3.0, then=Reply(text="slow answer")), Reply(text="quick answer"))
    slow = _start(cli, "run", "-c", "--model", "openai/m", "the slow one")
    deadline = time.monotonic() + 20
    while len(llm_server.requests) < 2 and time.monotonic() < deadline:  # the slow turn holds the session
        time.sleep(0.05)
    quick = _start(cli, "run", "-c", "--model", "openai/m", "the quick one")
    slow_out, slow_err = slow.communicate(timeout=60)
    quick_out, quick_err = quick.communicate(timeout=60)
    assert slow.returncode == 0 and quick.returncode == 0, slow_err + quick_err
    assert "is in use by pid" in quick_err and "this turn starts when that one ends" in quick_err
    assert "slow answer" in slow_out and "quick answer" in quick_out
    db = sqlite3.connect(Path(cli.env["CODETETHER_DATA_DIR"]) / "sessions.db")
    try:
        (count,) = db.execute("SELECT COUNT(*) FROM sessions").fetchone()
        users = [json.loads(p)[0]["text"] for (p,) in db.execute(
            "SELECT parts FROM messages WHERE role = 'user' ORDER BY seq")]
        turns = [t for (t,) in db.execute("SELECT turn FROM turns ORDER BY turn")]
    finally:
        db.close()
    assert count == 1 and turns == [1, 2, 3]
    assert users == ["start the session", "the slow one", "the quick one"]
    # the quick run carried on from the slow run's turn, not from its own older copy of the conversation
    assert "slow answer" in json.dumps(llm_server.requests[-1].body["messages"])


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs needs root")
def test_a_full_disk_under_the_data_dir_is_a_clear_error_and_loses_nothing(cli, vault_clean, llm_server,
                                                                         tmp_path):
    _setup(cli, vault_clean, llm_server)
    data = tmp_path / "tiny"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(data)], check=True)
    try:
        env = {**cli.env, "CODETETHER_DATA_DIR": str(data)}
        llm_server.script(Reply(text="stored answer"))
        assert cli("run", "--model", "openai/m", "remember this", env=env).returncode == 0
        filler = data / "filler"
        with open(filler, "wb", buffering=0) as out:  # leave room to open the session, not to store the turn
            while shutil.disk_usage(data).free > 96 * 1024:
                out.write(b"\0" * 4096)
        big = "x" * 200_000
        llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})], text=big), Reply(text=big))
        proc = cli("run", "-c", "--agent", "build", "--model", "openai/m", "go on", env=env)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        assert "the disk is full" in proc.stderr and str(data) in proc.stderr, proc.stderr
        assert "cannot be written" in proc.stderr, proc.stderr  # mid-session, not at opening
        filler.unlink()
        db = sqlite3.connect(data / "sessions.db")
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            texts = json.dumps(db.execute("SELECT parts FROM messages ORDER BY seq").fetchall())
        finally:
            db.close()
        assert "remember this" in texts and "stored answer" in texts
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)
