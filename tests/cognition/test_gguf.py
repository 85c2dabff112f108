"""The local GGUF backend (llama-cpp-python) on a tiny random-weight llama model written here with `gguf`."""

from __future__ import annotations

import asyncio

import pytest

from codetether.cognition.personas import PersonaRequest
from codetether.cognition.runtime import CognitionRuntime
from tests.cognition.conftest import settings
from tests.harness.tiny_gguf import tiny_llama

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (optional: the local GGUF thinker)")
pytest.importorskip("gguf", reason="the gguf package (test-only) writes the tiny model")


def test_local_gguf_thinker_produces_thoughts(tmp_path):
    model = tiny_llama(tmp_path / "tiny.gguf")
    rt = CognitionRuntime(settings(THINKER_BACKEND="candle", THINKER_CANDLE_MODEL_PATH=str(model),
                                   THINKER_MAX_TOKENS=8, THINKER_TEMPERATURE=0, THINKER_TIMEOUT_MS=120000))

    async def run() -> None:
        rt.create_persona(PersonaRequest.parse({"persona_id": "p", "name": "P", "role": "r", "charter": "c"}))
        for _ in range(4):
            await rt.step(rt.registry.personas["p"])
        await rt.shutdown()
    asyncio.run(run())
    thoughts = [e["payload"] for e in rt.events if "thinking" in e["payload"]]
    assert len(thoughts) == 4
    for p in thoughts:
        assert p["error"] is None, p["error"]
        assert p["model"] == f"llama_cpp:llama:cpu@{model}"
        assert p["finish_reason"] in ("stop", "length") and p["usage"]["prompt_tokens"] > 0
        assert p["usage"]["completion_tokens"] > 0 and p["thinking"]
    assert rt.snapshots.latest() is not None  # the 4th step compresses


def test_an_unloadable_gguf_is_a_failure_event_not_a_crash(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF not really")
    rt = CognitionRuntime(settings(THINKER_BACKEND="candle", THINKER_CANDLE_MODEL_PATH=str(bad)))

    async def run() -> None:
        rt.create_persona(PersonaRequest.parse({"persona_id": "p", "name": "P", "role": "r", "charter": "c"}))
        for _ in range(2):
            await rt.step(rt.registry.personas["p"])
    asyncio.run(run())
    thoughts = [e["payload"] for e in rt.events if "thinking" in e["payload"]]
    assert all(p["source"] == "fallback" and "could not load" in p["error"] for p in thoughts) and len(thoughts) == 2
