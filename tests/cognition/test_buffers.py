"""Buffers stay within their bounds whatever the volume; the runtime's buffers use the seed's sizes."""

from __future__ import annotations

import asyncio

from codetether.cognition.buffers import RingBuffer
from codetether.cognition.personas import PersonaRequest
from codetether.cognition.runtime import CognitionRuntime
from tests.cognition.conftest import settings


def test_ring_buffer_keeps_the_newest_within_its_bound():
    buf: RingBuffer[int] = RingBuffer(2000)
    for i in range(10_000):
        buf.push(i)
        assert len(buf) <= 2000
    assert list(buf) == list(range(8000, 10_000)) and buf.latest() == 9999
    assert buf.metrics() == {"capacity": 2000, "buffered": 2000, "total": 10_000, "dropped": 8000}


def test_runtime_buffers_never_exceed_their_bounds_over_10000_events():
    rt = CognitionRuntime(settings(THINKER_ENABLED="false"))
    assert rt.events.capacity == 2000 and rt.snapshots.capacity == 128

    async def run() -> None:
        slow = rt.broadcast.subscribe()  # a stream reader that never reads
        rt.create_persona(PersonaRequest.parse({"name": "p", "role": "r", "charter": "c", "persona_id": "p"}))
        persona = rt.registry.personas["p"]
        emitted = 1
        while emitted < 10_000:
            before = rt.events.total
            await rt.step(persona)
            emitted += rt.events.total - before
            assert len(rt.events) <= 2000 and len(rt.snapshots) <= 128 and len(rt.proposals) <= 128
        skipped, queued = await slow.next(0)
        assert len(queued) == 2000 and skipped == rt.events.total - 2000  # the lag the stream reports
    asyncio.run(run())
    status = rt.status()
    assert status["events_buffered"] == 2000 and status["snapshots_buffered"] == 128
    assert status["buffers"]["events"]["dropped"] == rt.events.total - 2000
    assert rt.events.total >= 10_000 and rt.snapshots.total > 128


def test_small_configured_sizes_have_the_originals_floors():
    rt = CognitionRuntime(settings(MAX_EVENTS=5, MAX_SNAPSHOTS=2, THINKER_ENABLED="false"))
    assert rt.events.capacity == 32 and rt.snapshots.capacity == 8
