"""The README's quick start for someone with only an API key, on a machine with no Vault: three commands."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx

from tests.harness.llm_server import Reply
from tests.harness.pty_proc import PtyProcess
from tests.packaging.conftest import Dist, clean_env, run_checked

KEY = "sk-quickstart-0123456789abcdef"


def test_install_auth_login_run_with_the_key_in_the_local_vault(dist: Dist, uv, isolated_env, llm_server, tmp_path):
    binary, uv_env = uv
    home = Path(isolated_env["HOME"])
    bin_dir = home / ".local" / "bin"
    env = {**clean_env(**uv_env), **isolated_env, "UV_TOOL_BIN_DIR": str(bin_dir), "TERM": "xterm-256color",
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "CODETETHER_CRASH_REPORTING": "false"}
    project = tmp_path / "my-project"
    project.mkdir()
    # 1) install
    run_checked([binary, "tool", "install", f"{dist.wheel}[vault]"], cwd=project, env=env)
    codetether = shutil.which("codetether", path=env["PATH"])
    assert codetether == str(bin_dir / "codetether")
    try:
        # 2) store the key: typed at a hidden prompt
        term = PtyProcess([codetether, "auth", "login", "openai", "--base-url", llm_server.base_url_openai], env,
                          project)
        term.expect("API key (typing is hidden): ")
        term.send(KEY + "\r")
        assert term.wait() == 0, term.output
        assert KEY not in term.output
        # 3) a working turn
        llm_server.script(Reply(text="First answer from the installed agent."),
                          Reply(text="Still here after the vault restarted."))
        run = PtyProcess([codetether, "run", "hello"], env, project)
        assert run.wait() == 0, run.output
        assert "First answer from the installed agent." in run.output
        assert llm_server.requests[-1].headers["authorization"] == f"Bearer {KEY}"

        # The key lives in the managed OpenBao, and survives the server's restart.
        vault_home = Path(env["CODETETHER_DATA_DIR"]) / "vault"
        shown = PtyProcess([codetether, "vault", "status", "--json"], env, project)
        assert shown.wait() == 0, shown.output
        status = json.loads(shown.output)
        token = (vault_home / "token").read_text().strip()
        stored = httpx.get(f"{status['addr']}/v1/secret/data/codetether/providers/openai",
                           headers={"X-Vault-Token": token}, trust_env=False).json()["data"]["data"]
        assert stored == {"api_key": KEY, "base_url": llm_server.base_url_openai}
        stop = PtyProcess([codetether, "vault", "stop"], env, project)
        assert stop.wait() == 0 and f"pid {status['pid']}" in stop.output
        again = PtyProcess([codetether, "run", "hello again"], env, project)
        assert again.wait() == 0 and "Still here after the vault restarted." in again.output, again.output
    finally:
        PtyProcess([codetether, "vault", "stop"], env, project).wait()
