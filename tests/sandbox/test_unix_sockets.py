"""A daemon's unix socket on the host (ssh ControlMaster, gpg-agent, Docker) is out of a command's reach: a
read-only mount does not stop connect(), so sandboxed commands can't create AF_UNIX sockets (seccomp)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.sandbox.conftest import requires_sandbox
from tests.sandbox.test_escapes import _run

pytestmark = requires_sandbox

CONNECT = ("python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('{path}'); "
           "print('CONNECTED', s.recv(5).decode())\"")
ALLOWED = ["python3 -c \"import socket; a, b = socket.socketpair(); a.send(b'pair'); print(b.recv(4).decode())\"",
           "python3 -c \"import socket; socket.socket(socket.AF_INET); print('inet')\""]


@pytest.fixture
def daemon(outside: Path) -> Iterator[Path]:
    """A host process listening on a unix socket where the sandbox can see the file (read-only)."""
    path = outside / "agent.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.sendall(b"shell")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize("flags", [[], ["--access-mode", "ask"], ["--allow-network"]],
                         ids=["workspace-write", "read-only", "with-network"])
def test_no_command_connects_to_a_host_socket(agent_cli, llm_server, daemon, flags):
    _, results = _run(agent_cli, llm_server, [CONNECT.format(path=daemon), *ALLOWED], *flags)
    refused, pair, inet = results
    assert "CONNECTED" not in refused and "Operation not permitted" in refused, refused
    assert pair.startswith("pair") and inet.startswith("inet"), results  # socketpair and IP sockets still work


def test_the_user_may_allow_unix_sockets(agent_cli, llm_server, daemon):
    config = Path(agent_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[sandbox]\nunix_sockets = true\n")
    _, results = _run(agent_cli, llm_server, [CONNECT.format(path=daemon)])
    assert results[0].startswith("CONNECTED shell"), results


def test_a_project_file_cannot_allow_them(agent_cli, llm_server, daemon):
    (agent_cli.cwd / "codetether.toml").write_text("[sandbox]\nunix_sockets = true\n")
    _, results = _run(agent_cli, llm_server, [CONNECT.format(path=daemon)])
    assert "Operation not permitted" in results[0], results
