"""A tiny random-weight llama GGUF that llama.cpp loads: for tests of in-process local models (no download).

Needs the test-only `gguf` package and numpy; imported lazily so the harness itself needs neither.
"""

from __future__ import annotations

from pathlib import Path

N_EMBD, N_FF, N_HEAD, N_CTX = 16, 32, 2, 256


def tiny_llama(path: Path, n_ctx: int = N_CTX) -> Path:
    """A 1-block llama with a byte-fallback SentencePiece vocab and seeded random weights."""
    import gguf
    import numpy as np

    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + ["▁", "▁a", "▁the", "."]
    types = [2, 3, 3] + [6] * 256 + [1] * 4
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(n_ctx)
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
