"""Without VAULT_ADDR, `auth login` stores keys in a local OpenBao that codetether sets up, starts and stops."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx

from tests.cli.conftest import assert_clean_failure
from tests.harness.llm_server import Reply
from tests.harness.pty_proc import PtyProcess
from tests.secrets.conftest import codetether_command

KEY = "sk-local-vault-key-0123456789"


def _home(cli) -> Path:
    return Path(cli.env["CODETETHER_DATA_DIR"]) / "vault"


def _status(cli) -> dict:
    proc = cli("vault", "status", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_auth_login_asks_without_echo_and_run_uses_the_key(local_cli, llm_server, project):
    term = PtyProcess([*codetether_command(), "auth", "login", "openai", "--base-url", llm_server.base_url_openai],
                      local_cli.env, project)
    term.expect("openai API key (typing is hidden): ")
    term.send(KEY + "\r")
    assert term.wait() == 0, term.output
    assert KEY not in term.output  # not echoed, not repeated
    assert "Stored the openai API key in the local vault" in term.output
    llm_server.script(Reply(text="The answer, from a key in the local vault."))
    run = local_cli("run", "hello")
    assert run.returncode == 0, run.stderr
    assert "The answer, from a key in the local vault." in run.stdout
    assert llm_server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_local_vault_is_private_loopback_only_and_its_token_is_limited(local_cli):
    proc = local_cli("auth", "login", "anthropic", "--key-stdin", input=KEY + "\n")
    assert proc.returncode == 0, proc.stderr
    home = _home(local_cli)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("unseal.key", "token", "bao.hcl", "state.json", "bao.log"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
    status = _status(local_cli)
    assert status["running"] and status["addr"].startswith("http://127.0.0.1:")
    ports = {int(line.split()[1].split(":")[1], 16): line.split()[1].split(":")[0]
             for name in ("/proc/net/tcp", "/proc/net/tcp6") if os.path.exists(name)
             for line in Path(name).read_text().splitlines()[1:] if line.split()[3] == "0A"}  # LISTEN
    config = (home / "bao.hcl").read_text()
    for port in (int(p) for p in __import__("re").findall(r"127\.0\.0\.1:(\d+)", config)):
        assert ports.get(port) in (None, "0100007F"), f"port {port} listens beyond loopback"
    token = (home / "token").read_text().strip()
    with httpx.Client(base_url=status["addr"], headers={"X-Vault-Token": token}, trust_env=False) as vault:
        mine = vault.get("/v1/secret/data/codetether/providers/anthropic")
        assert mine.status_code == 200 and mine.json()["data"]["data"]["api_key"] == KEY
        assert vault.get("/v1/sys/mounts").status_code == 403
        assert vault.post("/v1/secret/data/elsewhere/x", json={"data": {"a": "b"}}).status_code == 403
        assert vault.get("/v1/sys/policies/acl/codetether").status_code == 403


def test_key_survives_a_restart_and_a_lost_token_is_reissued(local_cli, llm_server):
    login = local_cli("auth", "login", "openai", "--key-stdin", "--base-url", llm_server.base_url_openai, input=KEY)
    assert login.returncode == 0, login.stderr
    first = _status(local_cli)
    stopped = local_cli("vault", "stop")
    assert f"Stopped the local vault (pid {first['pid']})" in stopped.stdout
    assert not _status(local_cli)["running"]
    llm_server.script(Reply(text="after a restart"), Reply(text="with a new token"))
    run = local_cli("run", "hello")  # started again on demand and unsealed with the stored key
    assert run.returncode == 0 and "after a restart" in run.stdout, run.stderr
    assert _status(local_cli)["pid"] != first["pid"]
    token_file = _home(local_cli) / "token"
    old_token = token_file.read_text()
    token_file.unlink()
    local_cli("vault", "stop")
    run = local_cli("run", "hello again")
    assert run.returncode == 0 and "with a new token" in run.stdout, run.stderr
    assert token_file.read_text() != old_token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_vault_start_sets_up_and_status_reports(local_cli):
    before = local_cli("vault", "status")
    assert "set up:  no" in before.stdout and "stopped" in before.stdout
    assert not _home(local_cli).exists()  # asking never creates anything
    started = local_cli("vault", "start")
    assert started.returncode == 0 and "The local vault is running at http://127.0.0.1:" in started.stdout
    after = local_cli("vault", "status")
    assert "set up:  yes" in after.stdout and "running at http://127.0.0.1:" in after.stdout
    again = local_cli("vault", "start")  # idempotent
    assert again.returncode == 0 and _status(local_cli)["pid"] == json.loads(
        (_home(local_cli) / "state.json").read_text())["pid"]


def test_bad_logins_are_clear_and_set_nothing_up(local_cli):
    assert_clean_failure(local_cli("auth", "login", "openai", input=""), "standard input is not a terminal",
                         "--key-stdin")
    assert_clean_failure(local_cli("auth", "login", "openai", "--key-stdin", input="\n"), "no API key was given")
    assert_clean_failure(local_cli("auth", "login", "my-endpoint", "--key-stdin", input=KEY),
                         "needs --base-url", "Built-in providers:")
    assert_clean_failure(local_cli("auth", "login", "x", "--base-url", "ftp://nowhere", "--key-stdin", input=KEY),
                         "--base-url is not an http(s) URL")
    assert_clean_failure(local_cli("auth", "login", "codex"), "does not sign in with an API key",
                         "codetether auth codex")
    assert not _home(local_cli).exists()


def test_no_provider_checklist_leads_with_auth_login(local_cli):
    proc = local_cli("run", "hello")
    assert_clean_failure(proc, "No providers available")
    hint = proc.stderr.split("\n", 1)[1]
    assert hint.splitlines()[1].strip().startswith("codetether auth login openai"), proc.stderr
    assert not _home(local_cli).exists()


def test_with_vault_addr_login_writes_to_that_vault(cli, vault_clean):
    proc = cli("auth", "login", "groq", "--key-stdin", input=KEY)
    assert proc.returncode == 0, proc.stderr
    assert f"in Vault at {vault_clean.addr}" in proc.stdout
    assert vault_clean.read_provider("groq") == {"api_key": KEY}
    assert not (Path(cli.env["CODETETHER_DATA_DIR"]) / "vault").exists()


def test_no_server_binary_is_a_clear_error(local_cli, tmp_path):
    env = {**local_cli.env, "CODETETHER_BAO": str(tmp_path / "no-such-bao")}
    proc = local_cli("auth", "login", "openai", "--key-stdin", input=KEY, env=env)
    assert_clean_failure(proc, "is not an executable file", "codetether-agent[vault]", "VAULT_ADDR")
