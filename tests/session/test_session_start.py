"""A new session begins in one write: its record, its first turn and the state it starts with (where replay
starts from, an A2A contextId) are committed together, and found again by that state without a table scan."""

from __future__ import annotations

import asyncio

from codetether.session.store import SessionStore, new_session_id


def test_a_session_its_first_turn_and_its_state_are_one_commit(tmp_path):
    store = SessionStore(tmp_path / "sessions.db")
    session_id = new_session_id()
    try:
        info = asyncio.run(store.start(session_id, "/repo", "proj", "openai/m", "build", "fix the bug", "main",
                                       {"a2a_context_id": "ctx-1", "replay_start": {"commit": "abc"}}))
        assert (info.id, info.turn_count, info.title) == (session_id, 1, "fix the bug")
        other = SessionStore(tmp_path / "sessions.db")  # another reader sees all of it
        try:
            assert other.get(session_id).turn_count == 1
            assert [t["turn"] for t in other.turns(session_id)] == [1]
            assert other.get_state(session_id, "replay_start") == {"commit": "abc"}
            assert other.session_with_state("a2a_context_id", "ctx-1") == session_id
        finally:
            other.close()
        assert store.begin_turn(session_id, "openai/m", "build", "main") == 2
    finally:
        store.close()


def test_a_session_is_found_by_its_state_through_an_index(tmp_path):
    store = SessionStore(tmp_path / "sessions.db")
    try:
        plan = store.db.execute("EXPLAIN QUERY PLAN SELECT session_id FROM session_state WHERE key = ? AND value = ? "
                                "ORDER BY updated_at DESC LIMIT 1", ("k", "v")).fetchall()
        assert any("INDEX session_state_by_value" in row[-1] for row in plan), plan
    finally:
        store.close()
