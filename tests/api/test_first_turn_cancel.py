"""A turn cancelled while its new session is being written still ends as cancelled: the session, its start and
turn 1 are one write that goes on regardless, so turn 1 must not be left open (found by a hostile review)."""

from __future__ import annotations

import asyncio

import pytest

from codetether.config.load import load
from codetether.session.store import SessionStore
from codetether.session.turn import SessionRun
from tests.api.conftest import MODEL


def test_a_cancel_during_the_first_write_ends_turn_one_as_cancelled(api_env, workspace):
    async def scenario() -> None:
        run = await SessionRun.open(load(), cwd=workspace, model_id=MODEL, agent_name="build")
        try:
            turn = asyncio.create_task(run.turn("hello"))
            await asyncio.sleep(0)  # the turn now waits for its session's first write
            turn.cancel()
            with pytest.raises(asyncio.CancelledError):
                await turn
        finally:
            await run.aclose()

    asyncio.run(scenario())
    store = SessionStore()
    try:
        (session,) = store.list()
        assert [(t["turn"], t["exit_reason"]) for t in store.turns(session.id)] == [(1, "cancelled")]
    finally:
        store.close()
