"""Attacks an independent hostile-model review found on the first sandbox, each driven as it was found."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.harness.llm_server import Reply, ToolCall
from tests.sandbox.conftest import requires_sandbox

pytestmark = requires_sandbox


def _turn(cli, llm_server, calls: list[ToolCall], *flags: str, agent: str = "build", resume: bool = False):
    llm_server.script(Reply(tool_calls=calls), Reply(text="done"))
    first = len(llm_server.requests)
    proc = cli("run", "--agent", agent, "--model", "openai/m", *flags, *(["-c"] if resume else []), "go")
    assert proc.returncode == 0, proc.stderr
    answer = [r for r in llm_server.requests[first:] if isinstance(r.body, dict) and "messages" in r.body][-1]
    return [m["content"] for m in answer.body["messages"] if m["role"] == "tool"], llm_server.requests[first:]


def _bash(command: str) -> ToolCall:
    return ToolCall("bash", {"command": command, "timeout": 30})


def test_a_linked_agents_md_never_carries_a_secret_to_the_model(agent_cli, llm_server, outside):
    token = (outside / "secrets" / "vault-token").read_text()
    _turn(agent_cli, llm_server, [_bash(f"ln -s {outside}/secrets/vault-token AGENTS.md; "
                                        f"ln -s {outside}/existing pkg-notes.md; mkdir -p sub; "
                                        f"ln -s {outside}/existing sub/AGENTS.md")])
    _, requests = _turn(agent_cli, llm_server, [_bash("true")])
    sent = json.dumps([r.body for r in requests])
    assert token not in sent and "original" not in sent


def test_a_linked_skill_reads_nothing_outside(agent_cli, llm_server, outside):
    _turn(agent_cli, llm_server, [_bash(f"mkdir -p .codetether/skills/x && "
                                        f"ln -s {outside}/existing .codetether/skills/x/SKILL.md && "
                                        f"mkdir -p .codetether/skills/y && printf -- '---\\nname: y\\n---\\nbody' "
                                        f"> .codetether/skills/y/SKILL.md && "
                                        f"ln -s {outside}/existing .codetether/skills/y/extra.md")])
    results, _ = _turn(agent_cli, llm_server, [ToolCall("skill", {"name": "x"}), ToolCall("skill", {"name": "y"}),
                                               ToolCall("skill", {"name": "y", "file": "extra.md"})])
    assert not any("original" in r for r in results), results


def test_a_planted_git_file_does_not_widen_the_next_sandbox(agent_cli, llm_server, outside):
    home = Path(agent_cli.env["HOME"])
    for target in (outside, Path("/"), home):
        _turn(agent_cli, llm_server, [_bash(f"rm -rf .git-real; mv .git .git-real 2>/dev/null; "
                                            f"printf 'gitdir: {target}\\n' > .git")])
        results, _ = _turn(agent_cli, llm_server, [_bash(f"echo pwned > {outside}/via-gitdir; "
                                                         "echo pwned > /etc/codetether-via-gitdir")])
        assert not (outside / "via-gitdir").exists() and not Path("/etc/codetether-via-gitdir").exists(), results


def test_kernel_knobs_under_proc_stay_read_only(agent_cli, llm_server):
    before = Path("/proc/sys/kernel/domainname").read_text()
    host = socket.gethostname()
    for flags in ([], ["--access-mode", "ask"], ["--access-mode", "full"]):
        results, _ = _turn(agent_cli, llm_server, [
            _bash("echo codetether-test > /proc/sys/kernel/domainname; echo rc=$?"),
            _bash("cat /proc/sys/kernel/core_pattern > /proc/sys/kernel/core_pattern; echo rc=$?"),
            _bash("hostname codetether-test; echo rc=$?")], *flags)
        assert Path("/proc/sys/kernel/domainname").read_text() == before, results
        assert socket.gethostname() == host
        assert "rc=0" not in results[0] and "rc=0" not in results[1], results


def test_host_sockets_are_out_of_reach(agent_cli, llm_server, tmp_path):
    """A listener in /run (as the user's tmux, ssh-agent, D-Bus or Docker keep theirs) can't be connected to,
    and with the network allowed neither can an abstract socket (Landlock scoping)."""
    run_dir = Path("/run") / f"codetether-test-{os.getpid()}"
    run_dir.mkdir(exist_ok=True)
    path_listener = socket.socket(socket.AF_UNIX)
    path_listener.bind(str(run_dir / "s.sock"))
    path_listener.listen(4)
    name = f"codetether-abstract-{os.getpid()}"
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0" + name)
    abstract.listen(4)
    (agent_cli.cwd / "connect.py").write_text("import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
                                              "s.connect(sys.argv[1].replace('@', '\\0', 1))\nprint('CONNECTED')\n")
    try:
        for flags in ([], ["--allow-network"]):
            results, _ = _turn(agent_cli, llm_server, [
                _bash(f"{sys.executable} connect.py {run_dir / 's.sock'}"),
                _bash(f"{sys.executable} connect.py @{name}")], *flags)
            assert not any("CONNECTED" in r for r in results), (flags, results)
    finally:
        path_listener.close()
        abstract.close()
        (run_dir / "s.sock").unlink(missing_ok=True)
        run_dir.rmdir()



def test_undo_never_writes_through_a_link_the_model_planted(agent_cli, llm_server, outside):
    (agent_cli.cwd / "d").mkdir()
    (agent_cli.cwd / "d" / "notes.txt").write_text("mine\n")
    _turn(agent_cli, llm_server, [ToolCall("write", {"path": "d/notes.txt", "content": "payload\n"}),
                                  ToolCall("write", {"path": "d/new.txt", "content": "new\n"}),
                                  _bash(f"mv d d.real && ln -s {outside} d")])
    (outside / "notes.txt").write_text("outside file\n")
    (outside / "new.txt").write_text("outside new\n")
    proc = agent_cli("sessions", "undo")
    assert proc.returncode in (0, 1), proc.stderr
    assert (outside / "notes.txt").read_text() == "outside file\n"
    assert (outside / "new.txt").read_text() == "outside new\n"
    assert (outside / "existing").read_text() == "original\n"


def test_ralph_progress_never_appends_through_a_link(tmp_path):
    from codetether.ralph import progress

    target = tmp_path / "bashrc"
    target.write_text("mine\n")
    (tmp_path / "progress.txt").symlink_to(target)
    progress.append(tmp_path / "progress.txt", "iteration 1")
    assert target.read_text() == "mine\n"
    assert (tmp_path / "progress.txt").read_text() == "iteration 1\n" and not (tmp_path / "progress.txt").is_symlink()


def test_a_run_started_as_plan_stays_read_only_whatever_the_session_says(agent_cli, llm_server):
    _turn(agent_cli, llm_server, [ToolCall("plan_enter", {"goal": "think first", "steps": ["look"]})])
    results, _ = _turn(agent_cli, llm_server, [ToolCall("plan_exit", {"summary": "done"}),
                                               _bash("echo x > written.txt; echo rc=$?")],
                       "--yes", agent="plan", resume=True)
    assert "stays read-only" in results[-2], results  # (the resumed history's results come first)
    assert not (agent_cli.cwd / "written.txt").exists()


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        _Recorder.seen.append(dict(self.headers.items()))
        body = json.dumps({"name": "x", "description": "x", "version": "1", "skills": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_local_addresses_need_a_persons_yes_and_tokens_stay_home(agent_cli, llm_server):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    env = {**agent_cli.env, "CODETETHER_TOKEN": "ct-platform-token-0123456789", "CODETETHER_SERVER": "https://p.example"}
    try:
        llm_server.script(Reply(tool_calls=[ToolCall("webfetch", {"url": url + "metadata"}),
                                            ToolCall("a2a", {"action": "card", "url": url})]), Reply(text="done"))
        proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "--yes", "go", env=env)
        assert proc.returncode == 0, proc.stderr
        results = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "tool"]
        assert all("local or private address" in r and "local_network" in r for r in results), results
        assert _Recorder.seen == []
        config = Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text('[permission]\nlocal_network = "allow"\n')
        llm_server.script(Reply(tool_calls=[ToolCall("a2a", {"action": "card", "url": url})]), Reply(text="done"))
        proc = agent_cli("run", "--agent", "build", "--model", "openai/m", "go", env=env)
        assert proc.returncode == 0, proc.stderr
        assert _Recorder.seen and not any("ct-platform-token" in json.dumps(h) for h in _Recorder.seen)
    finally:
        server.shutdown()


def test_writes_and_reads_beneath_the_workspace_refuse_links_out(tmp_path):
    from codetether.sandbox import beneath

    root, outside = tmp_path / "ws", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret").write_text("s3cret")
    (root / "d").symlink_to(outside)
    (root / "link").symlink_to(outside / "secret")
    (root / "inner").mkdir()
    (root / "ok").symlink_to("inner")
    for attempt in (lambda: beneath.write_atomic(root, root / "d" / "x", b"x"),
                    lambda: beneath.read_bytes(root, root / "link"),
                    lambda: beneath.read_bytes(root, root / "d" / "secret"),
                    lambda: beneath.append(root, root / "d" / "secret", b"x")):
        with pytest.raises(OSError) as err:
            attempt()
        assert err.value.errno in (errno.EXDEV, errno.ELOOP)
    assert not (outside / "x").exists() and (outside / "secret").read_text() == "s3cret"
    beneath.write_atomic(root, root / "ok" / "f.txt", b"inside")  # a link that stays inside is fine
    assert (root / "inner" / "f.txt").read_bytes() == b"inside"
    assert beneath.read_bytes(root, root / "ok" / "f.txt") == b"inside"


def test_credentials_in_urls_are_not_passed_to_commands():
    from codetether.sandbox.env import tool_environment

    env = tool_environment({"PIP_INDEX_URL": "https://user:s3cret@pypi.example/simple", "PATH": "/usr/bin",
                            "UV_INDEX_URL": "https://pypi.example/simple"})
    assert "PIP_INDEX_URL" not in env and env["UV_INDEX_URL"] == "https://pypi.example/simple"


def test_the_agents_own_git_hides_configured_paths(agent_cli, llm_server, outside):
    """A clean filter planted in .git/config runs in the agent's own `git add` (Ralph, swarm): it must not see
    what `[sandbox] hidden_paths` hides."""
    hidden = outside.parent / f"{outside.name}-hidden"
    hidden.mkdir()
    (hidden / "id_rsa").write_text("PRIVATE KEY")
    try:
        config = Path(agent_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[sandbox]\nhidden_paths = ["{hidden}"]\n')
        code = ("import sys; from pathlib import Path; from codetether.gitinfo import run_git; "
                "run_git(Path('.'), 'add', '-A', writable=[Path('.').resolve()])")
        (agent_cli.cwd / ".gitattributes").write_text("*.txt filter=x\n")
        subprocess.run(["git", "config", "filter.x.clean", f"sh -c 'cat {hidden}/id_rsa > stolen; cat'"],
                       cwd=agent_cli.cwd, check=True)
        (agent_cli.cwd / "a.txt").write_text("a\n")
        subprocess.run([sys.executable, "-c", code], cwd=agent_cli.cwd, env=agent_cli.env, check=True)
        stolen = agent_cli.cwd / "stolen"
        assert not stolen.exists() or "PRIVATE KEY" not in stolen.read_text()
    finally:
        (hidden / "id_rsa").unlink()
        hidden.rmdir()
