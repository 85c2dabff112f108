"""contextId -> session bookkeeping for `serve`: one turn at a time per context, idle contexts forgotten first."""

from __future__ import annotations

import asyncio

from codetether.a2a.conversations import Conversations


def test_a_context_keeps_its_session_and_runs_one_turn_at_a_time():
    async def scenario() -> list[str]:
        conversations, order = Conversations(), []

        async def task(name: str, hold_for: float) -> None:
            async with conversations.hold("ctx") as conversation:
                order.append(f"{name} starts with {conversation.session_id}")
                await asyncio.sleep(hold_for)
                conversation.session_id = conversation.session_id or "s1"
                order.append(f"{name} ends")

        await asyncio.gather(task("a", 0.05), task("b", 0))
        return order

    assert asyncio.run(scenario()) == ["a starts with None", "a ends", "b starts with s1", "b ends"]


def test_past_the_limit_the_least_recently_used_idle_context_is_forgotten():
    async def scenario() -> list[str | None]:
        conversations = Conversations(limit=2)
        busy = asyncio.Event()

        async def hold_busy() -> None:
            async with conversations.hold("busy") as conversation:
                conversation.session_id = "s-busy"
                busy.set()
                await asyncio.sleep(0.05)

        holder = asyncio.create_task(hold_busy())
        await busy.wait()
        for context_id in ("old", "new"):
            async with conversations.hold(context_id) as conversation:
                conversation.session_id = f"s-{context_id}"
        await holder
        return [conversations.session_of(c) for c in ("busy", "old", "new")]

    # "busy" is the oldest but was held when the limit was passed, so the idle "old" went instead.
    assert asyncio.run(scenario()) == ["s-busy", None, "s-new"]
