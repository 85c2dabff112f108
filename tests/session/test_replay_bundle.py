"""`codetether sessions export ID --replay` and `sessions replay --bundle FILE`: a session recorded on one machine
replays from its bundle alone on a fresh clone; secrets never reach the bundle; the scripted test harness turns a
bundle into a test."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.cli.conftest import API_KEY, Cli, assert_clean_failure
from tests.harness.bundle import load_bundle
from tests.harness.llm_server import Reply, ToolCall
from tests.session.test_replay import SECOND_TURN
from tests.session.test_replay import SESSION as RECORDED

TEST_FILE = ('import os\nfrom app import greet\n\nprint("mode:", os.environ.get("APP_MODE", "default"))\n'
             'assert greet() == "hello", greet()\nprint("test passed")\n')
# test_replay's session (a failing test, a read, an edit, the test passing), its test also printing APP_MODE
SESSION = [Reply(tool_calls=[ToolCall("write", {"path": "test_app.py", "content": TEST_FILE})]), *RECORDED[1:]]
OTHER_KEY = "sk-ant-unused-provider-key-9876543210"  # in Vault, never used by the session


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", *args], cwd=root,
                          check=True, capture_output=True, text=True).stdout.strip()


def _commit_all(root: Path) -> str:
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "start")
    return _git(root, "rev-parse", "HEAD")


def _record(cli: Cli, vault_clean, llm_server, *turns: tuple[str, list[Reply]]) -> str:
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(*(reply for _, replies in turns for reply in replies))
    session = ""
    for number, (prompt, _) in enumerate(turns):
        args = ("run", "--model", "openai/m", "--agent", "build", prompt) if number == 0 else ("run", "-c", prompt)
        proc = cli(*args, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        session = session or json.loads(proc.stdout)["session_id"]
    return session


def _export(cli: Cli, session: str, target: Path) -> dict:
    proc = cli("sessions", "export", session[:8], "--replay", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    assert f"exported a replay bundle of session {session}" in proc.stderr
    return json.loads(target.read_text())


def _clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True, capture_output=True)
    return where


def _record_fix(cli: Cli, vault_clean, llm_server, workspace: Path, tmp_path: Path) -> tuple[str, str, Path]:
    """The multi-step session (a failing test, a read, an edit, the test passing, then `ls` in a second turn),
    recorded in a git repository on "the user's machine", its bundle exported."""
    commit = _commit_all(workspace)
    session = _record(cli, vault_clean, llm_server, ("make the test pass", SESSION), ("what is here?", SECOND_TURN))
    bundle = tmp_path / "report" / "bug.json"
    bundle.parent.mkdir()
    _export(cli, session, bundle)
    return session, commit, bundle


def test_a_bundle_replays_on_a_fresh_clone_with_no_differences(cli, vault_clean, llm_server, workspace, tmp_path):
    session, commit, bundle = _record_fix(cli, vault_clean, llm_server, workspace, tmp_path)
    data = json.loads(bundle.read_text())
    assert data["format"] == "codetether.replay.v1"
    assert data["start"] == {"commit": commit, "clean": True}
    assert data["settings"] == {"agent": "build", "model": "openai/m", "access_mode": "approve"}
    calls = [c for t in data["turns"] for c in t["tool_calls"]]
    assert [c["name"] for c in calls] == ["write", "bash", "read", "edit", "bash", "bash"]
    assert "AssertionError: helo" in calls[1]["output"] and "test passed" in calls[4]["output"]

    # Someone else's machine: a clone, an empty session store, the original project gone.
    clone = _clone(workspace, tmp_path / "elsewhere" / "clone")
    shutil.rmtree(workspace)
    other = tmp_path / "other-data"
    other.mkdir()
    there = Cli({**cli.env, "CODETETHER_DATA_DIR": str(other)}, clone)
    requests = len(llm_server.requests)

    proc = there("sessions", "replay", str(bundle))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"replayed 2 turn(s), 6 tool call(s) in a clean checkout of commit {commit[:12]}" in proc.stdout
    assert proc.stdout.rstrip().endswith("no differences"), proc.stdout
    assert proc.stderr.count("  ok turn") == 6 and "DIFF" not in proc.stderr
    assert len(llm_server.requests) == requests  # the model's side came from the bundle
    assert _git(clone, "status", "--porcelain") == ""  # replayed in a copy, the clone untouched

    report = json.loads(Cli(there.env, tmp_path)("sessions", "replay", "--bundle", str(bundle), "--against",
                                                 str(clone), "--until", "1", "--json").stdout)
    assert (report["session_id"], report["turns"], report["steps"], report["differences"]) == (session, 1, 5, 0)


def test_a_changed_tool_behaviour_is_reported_at_the_first_differing_step(cli, vault_clean, llm_server, workspace,
                                                                          tmp_path):
    """The bash tool decides which environment variables a command sees: only an allow-list, plus the
    `[sandbox] env_keep` patterns of the user's config. APP_MODE is set in the environment of both the recording
    and the replay, so the only change is the tool's behaviour: the replaying user's config keeps APP_MODE, and
    the test script prints "mode: staging" where the recording printed "mode: default". Nothing in the process
    is patched; the replay must point at the first bash call (step 2), after the write that stayed the same."""
    env = {**cli.env, "APP_MODE": "staging"}
    cli = Cli(env, cli.cwd)
    _, _, bundle = _record_fix(cli, vault_clean, llm_server, workspace, tmp_path)
    clone = _clone(workspace, tmp_path / "clone")
    config = Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[sandbox]\nenv_keep = ["APP_MODE"]\n')

    proc = Cli(env, clone)("sessions", "replay", "--bundle", str(bundle))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "first difference: turn 1, step 2: bash" in proc.stdout, proc.stdout
    assert proc.stderr.splitlines()[:3] == ["  ok turn 1 step 1: write", "DIFF turn 1 step 2: bash",
                                            "  ok turn 1 step 3: read"], proc.stderr
    report = json.loads(Cli(env, clone)("sessions", "replay", str(bundle), "--json").stdout)
    first = report["first_difference"]
    assert first["number"] == 2 and "mode: default" in first["recorded"] and "mode: staging" in first["replayed"]
    assert report["differences"] == 2  # both runs of the test; the read, edit and ls are the same

    config.write_text("")  # the tool as it was: the same bundle replays clean again
    assert Cli(env, clone)("sessions", "replay", str(bundle)).returncode == 0


def test_no_key_reaches_the_bundle(cli, vault_clean, llm_server, workspace, tmp_path):
    """A file holding keys is read, printed by bash and edited: the stored tool outputs and the undo snapshot of
    the file carry them (the unused provider's key was never known to the recording run), the bundle none. It
    still replays: the file is put back with the keys redacted, as the recorded outputs show it."""
    vault_clean.put_provider("anthropic", api_key=OTHER_KEY)
    (workspace / ".gitignore").write_text(".env\n")
    commit = _commit_all(workspace)
    (workspace / ".env").write_text(f"OPENAI_API_KEY={API_KEY}\nANTHROPIC_API_KEY={OTHER_KEY}\nDEBUG=0\n")
    session = _record(cli, vault_clean, llm_server, ("turn on debugging", [
        Reply(tool_calls=[ToolCall("read", {"path": ".env"})]),
        Reply(tool_calls=[ToolCall("bash", {"command": "cat .env"})]),
        Reply(tool_calls=[ToolCall("edit", {"path": ".env", "old_string": "DEBUG=0", "new_string": "DEBUG=1"})]),
        Reply(text="Done."),
    ]))
    stored = json.loads(cli("sessions", "show", session, "--json").stdout)["tool_calls"]
    assert OTHER_KEY in stored[0]["output"]  # what export must catch

    bundle = tmp_path / "bug.json"
    data = _export(cli, session, bundle)
    text = bundle.read_text()
    assert API_KEY not in text and OTHER_KEY not in text
    assert vault_clean.env()["VAULT_TOKEN"] not in text
    assert data["start"] == {"commit": commit, "clean": True}
    [env_file] = data["files"]
    assert env_file["path"] == ".env" and env_file["text"].startswith("OPENAI_API_KEY=[REDACTED]\n")

    clone = _clone(workspace, tmp_path / "clone")
    proc = Cli(cli.env, clone)("sessions", "replay", str(bundle))
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("no differences"), proc.stdout + proc.stderr
    assert "checkout of commit" in proc.stdout and "1 file(s) the session changed put back" in proc.stdout


def test_the_harness_turns_a_bundle_into_a_scripted_test(cli, vault_clean, llm_server, workspace, tmp_path):
    """A user's bug report as a test: the bundle's model replies scripted into the LLM server, `codetether run`
    in a clone at the bundle's commit gets the same tool results as the user did."""
    _, commit, bundle = _record_fix(cli, vault_clean, llm_server, workspace, tmp_path)
    script = load_bundle(bundle)
    assert script.commit == commit and len(script.turns) == 2 and len(script.replies) == 8
    clone = _clone(workspace, tmp_path / "clone")
    _git(clone, "checkout", "-q", "--detach", script.commit)
    llm_server.script(*script.replies)
    here = Cli(cli.env, clone)

    outputs: dict[str, str] = {}
    for number, turn in enumerate(script.turns):
        args = ("--model", script.model, "--agent", script.agent) if number == 0 else ("-c",)
        proc = here("run", *args, turn.prompt, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        session = json.loads(proc.stdout)["session_id"]
    for call in json.loads(here("sessions", "show", session, "--json").stdout)["tool_calls"]:
        outputs[call["call_id"]] = call["output"].replace(str(clone.resolve()), str(workspace))
    expected = {cid: out for turn in script.turns for cid, out in turn.outputs.items()}
    assert outputs == expected
    assert llm_server.pending == 0  # every scripted reply was asked for


def test_bundle_errors_are_clear(cli, vault_clean, llm_server, workspace, tmp_path):
    _commit_all(workspace)
    session = _record(cli, vault_clean, llm_server, ("hello", [Reply(text="Hi.")]))
    assert_clean_failure(cli("sessions", "export", "nosuchsession", "--replay"), "nosuchsession")
    blocked = tmp_path / "a-file"  # a parent that is not a directory: unwritable even for root
    blocked.write_text("")
    assert_clean_failure(cli("sessions", "export", session, "--replay", "-o", str(blocked / "b.json")),
                         f"cannot write {blocked / 'b.json'}")
    unreachable = {**cli.env, "VAULT_ADDR": "http://127.0.0.1:9"}
    assert_clean_failure(cli("sessions", "export", session, "--replay", "-o", str(tmp_path / "b.json"),
                             env=unreachable), "cannot learn the secrets to redact")
    assert not (tmp_path / "b.json").exists()

    bundle = tmp_path / "bug.json"
    commit = _export(cli, session, bundle)["start"]["commit"]
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "other.txt").write_text("another project\n")
    _commit_all(stranger)
    assert_clean_failure(Cli(cli.env, stranger)("sessions", "replay", "--bundle", str(bundle)),
                         f"commit {commit}", "is not in the repository")
    (tmp_path / "broken.json").write_text("{not json")
    assert_clean_failure(cli("sessions", "replay", str(tmp_path / "broken.json")), "is not a replay bundle")
    assert_clean_failure(cli("sessions", "replay", "--bundle", str(tmp_path / "missing.json")),
                         "cannot read the replay bundle")
    assert_clean_failure(cli("sessions", "replay"), "give a session id or a bundle")


def test_a_session_from_a_dirty_tree_replays_from_its_bundle(cli, vault_clean, llm_server, workspace, tmp_path):
    """Tracked files changed before the session: git gives the commit, the bundle the files the session changed
    as they were then (app.py's uncommitted typo; test_app.py did not exist)."""
    (workspace / "app.py").write_text('def greet():\n    return "hi"\n')
    commit = _commit_all(workspace)
    (workspace / "app.py").write_text('def greet():\n    return "helo"\n\nprint(greet())\n')  # uncommitted
    session = _record(cli, vault_clean, llm_server, ("make the test pass", SESSION))
    bundle = tmp_path / "bug.json"
    data = _export(cli, session, bundle)
    assert data["start"] == {"commit": commit, "clean": False}
    files = {f["path"]: f for f in data["files"]}
    assert files["app.py"]["text"].endswith('return "helo"\n\nprint(greet())\n')
    assert files["test_app.py"] == {"path": "test_app.py", "existed": False, "mode": None}

    clone = _clone(workspace, tmp_path / "clone")
    proc = Cli(cli.env, clone)("sessions", "replay", str(bundle))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (f"5 tool call(s) in a checkout of commit {commit[:12]} with the 2 file(s) the session changed put back"
            in proc.stdout) and proc.stdout.rstrip().endswith("no differences"), proc.stdout


def _handmade_bundle(path: Path, command: str, **changes: object) -> None:
    """A bundle as someone else could write it: one turn running `command`."""
    call = {"type": "tool_call", "id": "c1", "name": "bash", "arguments": json.dumps({"command": command})}
    bundle = {"format": "codetether.replay.v1", "session": {"id": "handmade", "project_root": "/somewhere"},
              "settings": {"agent": "build", "model": "openai/m", "access_mode": "full"},
              "start": {"commit": None, "clean": False}, "files": [],
              "turns": [{"turn": 1, "messages": [
                  {"role": "user", "parts": [{"type": "text", "text": "go"}]},
                  {"role": "assistant", "parts": [call]},
                  {"role": "assistant", "parts": [{"type": "text", "text": "done"}]}],
                  "tool_calls": [{"call_id": "c1", "name": "bash", "arguments": call["arguments"], "output": "wrote",
                                  "success": True}]}]}
    path.write_text(json.dumps({**bundle, **changes}))


def test_a_bundle_cannot_widen_the_sandbox_or_write_outside_the_copy(cli, tmp_path):
    """A bundle names the access mode it was recorded under; replaying it never runs wider than the replaying
    user's own mode (approve here): its command cannot write outside the workspace copy, nor its files."""
    outside = tmp_path / "escaped"
    bundle = tmp_path / "hostile.json"
    _handmade_bundle(bundle, f"touch {outside} && echo wrote")
    proc = cli("sessions", "replay", str(bundle))
    assert proc.returncode == 1 and "first difference: turn 1, step 1: bash" in proc.stdout, proc.stdout
    assert not outside.exists()

    _handmade_bundle(bundle, "true", files=[{"path": "../escaped", "existed": True, "mode": None, "text": "x"}])
    assert_clean_failure(cli("sessions", "replay", str(bundle)), "is damaged", "is not inside the project")
    assert not outside.exists()
