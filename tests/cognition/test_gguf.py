"""The local GGUF backend (llama-cpp-python) on a tiny random-weight llama model written here with `gguf`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from codetether.cognition.personas import PersonaRequest
from codetether.cognition.runtime import CognitionRuntime
from tests.cognition.conftest import settings

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (optional: the local GGUF thinker)")
gguf = pytest.importorskip("gguf", reason="the gguf package (test-only) writes the tiny model")

N_EMBD, N_FF, N_HEAD, N_CTX = 16, 32, 2, 256


def tiny_llama(path: Path) -> Path:
    """A 1-block llama with a byte-fallback SentencePiece vocab and seeded random weights."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + ["▁", "▁a", "▁the", "."]
    types = [2, 3, 3] + [6] * 256 + [1] * 4
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(1)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * 3 + [-1000.0] * 256 + [-1.0, -2.0, -2.0, -1.0])
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    rng = np.random.default_rng(7)
    n_vocab = len(tokens)

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    w.add_tensor("token_embd.weight", rand(n_vocab, N_EMBD))
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, np.float32))
    w.add_tensor("output.weight", rand(n_vocab, N_EMBD))
    w.add_tensor("blk.0.attn_norm.weight", np.ones(N_EMBD, np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        w.add_tensor(f"blk.0.{name}.weight", rand(N_EMBD, N_EMBD))
    w.add_tensor("blk.0.ffn_norm.weight", np.ones(N_EMBD, np.float32))
    w.add_tensor("blk.0.ffn_gate.weight", rand(N_FF, N_EMBD))
    w.add_tensor("blk.0.ffn_up.weight", rand(N_FF, N_EMBD))
    w.add_tensor("blk.0.ffn_down.weight", rand(N_EMBD, N_FF))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


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
