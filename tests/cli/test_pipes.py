"""Shell pipelines: piped text goes with `run`'s message, `run -` reads it, and a reader that stops early
(`| head -1`) ends any command quietly."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply

CODETETHER = f"{shlex.quote(sys.executable)} -m codetether"


def _shell(cli, pipeline: str) -> subprocess.CompletedProcess[str]:
    """`pipeline` in bash; its last line prints the exit status of every part."""
    return subprocess.run(["bash", "-c", pipeline + '; echo "status=${PIPESTATUS[*]}" >&2'], cwd=cli.cwd, env=cli.env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def scripted(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    cli.env["CODETETHER_DEFAULT_MODEL"] = "openai/m"
    return llm_server


def _user_text(llm_server) -> str:
    return "".join(m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "user")


def test_piped_text_goes_with_the_message(cli, scripted):
    scripted.script(Reply(text="It is a timeout."))
    (cli.cwd / "app.log").write_text("INFO start\nERROR connection timed out after 30s\n")
    proc = _shell(cli, f'cat app.log | {CODETETHER} run "explain"')
    assert "status=0 0" in proc.stderr and "It is a timeout." in proc.stdout, proc.stderr
    assert _user_text(scripted) == "explain\n\n<stdin>\nINFO start\nERROR connection timed out after 30s\n</stdin>"


def test_run_dash_reads_the_message_from_stdin(cli, scripted):
    scripted.script(Reply(text="4"))
    proc = _shell(cli, f'echo "what is 2+2?" | {CODETETHER} run -')
    assert "status=0 0" in proc.stderr and "4" in proc.stdout, proc.stderr
    assert _user_text(scripted) == "what is 2+2?"
    empty = _shell(cli, f"{CODETETHER} run - < /dev/null")
    assert "reads the message from standard input, which was empty" in empty.stderr
    assert "status=2" in empty.stderr and "Traceback" not in empty.stderr


def test_a_redirected_file_is_piped_input_too(cli, scripted):
    scripted.script(Reply(text="ok"))
    (cli.cwd / "notes.txt").write_text("remember the milk")
    proc = _shell(cli, f'{CODETETHER} run "summarise" < notes.txt')
    assert "status=0" in proc.stderr, proc.stderr
    assert _user_text(scripted).endswith("<stdin>\nremember the milk\n</stdin>")


@pytest.mark.parametrize("command", ["tools list", "tools list --json", "models", "models --json", "config --show",
                                     "sessions list --all", "vault status", "--help", "tools list --help",
                                     'run "write a lot"'])
def test_a_reader_that_stops_early_ends_every_command_quietly(cli, scripted, command):
    scripted.script(Reply(text="line of a long answer\n" * 20_000))  # far beyond a pipe's buffer
    proc = _shell(cli, f"{CODETETHER} {command} | head -c 1 >/dev/null")
    status = proc.stderr.strip().splitlines()[-1]
    assert status in ("status=0 0", "status=141 0"), proc.stderr
    for noise in ("error", "Traceback", "Exception", "Broken pipe"):  # "no sessions" and the like may stay
        assert noise not in proc.stderr, proc.stderr
    assert not (Path(cli.env["CODETETHER_DATA_DIR"]) / "crash.log").exists()
