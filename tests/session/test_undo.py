"""Snapshots and undo against a real SQLite store: files come back byte for byte, turn by turn."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codetether.errors import CodetetherError
from codetether.provider.model import Message
from codetether.session.store import SessionStore
from codetether.session.undo import snapshot_hook, undo_turns


@pytest.fixture
def store(tmp_path: Path):
    s = SessionStore(tmp_path / "sessions.db")
    yield s
    s.close()


def _turn(store: SessionStore, sid: str):
    root = Path(store.get(sid).project_root)
    return snapshot_hook(store, sid, store.begin_turn(sid, "m", "build", None), root)


def test_undo_restores_modified_created_and_deleted_files(store, tmp_path):
    sid = store.create(str(tmp_path), "path:x", "m", "build").id
    script, gone, new = tmp_path / "run.sh", tmp_path / "old.txt", tmp_path / "sub" / "new.txt"
    script.write_bytes(b"#!/bin/sh\necho caf\xe9 \xff\r\n")
    script.chmod(0o755)
    gone.write_bytes(b"keep me\n")
    gone.chmod(0o640)
    hook = _turn(store, sid)
    hook(script)
    script.write_bytes(b"changed")
    script.chmod(0o644)
    hook(script)  # a second change in the same turn keeps the first snapshot
    script.write_bytes(b"changed twice")
    hook(new)
    new.parent.mkdir()
    new.write_text("created")
    hook(gone)
    gone.unlink()

    done, results = undo_turns(store, sid)

    assert done == [1]
    assert script.read_bytes() == b"#!/bin/sh\necho caf\xe9 \xff\r\n" and script.stat().st_mode & 0o777 == 0o755
    assert gone.read_bytes() == b"keep me\n" and gone.stat().st_mode & 0o777 == 0o640
    assert not new.exists()
    assert {(Path(r.path).name, r.action) for r in results} == {
        ("run.sh", "restored"), ("old.txt", "recreated"), ("new.txt", "removed")}
    assert store.turns(sid)[0]["undone"] == 1
    assert [e["kind"] for e in store.events(sid)] == ["undo"]


def test_second_undo_goes_further_back(store, tmp_path):
    sid = store.create(str(tmp_path), "path:x", "m", "build").id
    f = tmp_path / "f.txt"
    f.write_text("v0")
    for version in ("v1", "v2"):
        _turn(store, sid)(f)
        f.write_text(version)
    undo_turns(store, sid)
    assert f.read_text() == "v1"
    undo_turns(store, sid)
    assert f.read_text() == "v0"
    with pytest.raises(CodetetherError, match="no turns left"):
        undo_turns(store, sid)


def test_undo_several_turns_newest_first(store, tmp_path):
    sid = store.create(str(tmp_path), "path:x", "m", "build").id
    f = tmp_path / "f.txt"
    hook = _turn(store, sid)
    hook(f)
    f.write_text("created in turn 1")
    hook = _turn(store, sid)
    hook(f)
    f.write_text("edited in turn 2")
    done, _ = undo_turns(store, sid, 5)
    assert done == [2, 1] and not f.exists()


def test_continue_history_skips_undone_turns(store, tmp_path):
    sid = store.create(str(tmp_path), "path:x", "m", "build").id
    for n in (1, 2):
        turn = store.begin_turn(sid, "m", "build", None)
        store.append_message(sid, turn, Message.text("user", f"q{n}"))
    undo_turns(store, sid)
    assert [m.text_content for m in store.messages(sid, skip_undone=True)] == ["q1"]
    assert len(store.messages(sid)) == 2 and len(store.message_rows(sid)) == 2


def test_failed_restore_leaves_turn_undoable(store, tmp_path):
    sid = store.create(str(tmp_path), "path:x", "m", "build").id
    f = tmp_path / "f.txt"
    f.write_text("old")
    _turn(store, sid)(f)
    f.unlink()
    f.mkdir()  # a directory now sits where the file was: it cannot be overwritten
    done, results = undo_turns(store, sid)
    assert done == [] and results[0].action.startswith("failed")
    assert store.undoable_turns(sid, 5) == [1]


def test_old_database_gains_undone_column(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE turns (session_id TEXT NOT NULL, turn INTEGER NOT NULL, started_at REAL NOT NULL, "
               "ended_at REAL, branch TEXT, model TEXT NOT NULL DEFAULT '', agent TEXT NOT NULL DEFAULT '', "
               "prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0, "
               "cost_usd REAL NOT NULL DEFAULT 0, exit_reason TEXT, PRIMARY KEY (session_id, turn)) WITHOUT ROWID")
    db.commit()
    db.close()
    store = SessionStore(path)
    assert "undone" in {row[1] for row in store.db.execute("PRAGMA table_info(turns)")}
    store.close()


def test_snapshot_of_unwritable_store_refuses_the_change(store, tmp_path):
    from codetether.tool.base import ToolError

    hook = snapshot_hook(store, "no-such-session", 1, tmp_path)  # the foreign key fails: nothing may change
    with pytest.raises(ToolError, match="for undo"):
        hook(tmp_path / "x")
    assert not (tmp_path / "x").exists()
