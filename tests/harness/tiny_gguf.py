"""A tiny random-weight llama GGUF that llama.cpp loads: for tests of in-process local models (no download).

Needs the test-only `gguf` package and numpy; imported lazily so the harness itself needs neither.
"""

from __future__ import annotations

from pathlib import Path

N_EMBD, N_FF, N_HEAD, N_CTX = 16, 32, 2, 256


def tiny_llama(path: Path, n_ctx: int = N_CTX, babble: bool = False) -> Path:
    """A 1-block llama with a byte-fallback SentencePiece vocab and seeded random weights.

    babble: every position predicts "▁a", so it writes " a a a ..." until max_tokens (a long, steady generation).
    """
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

    ones = np.ones(N_EMBD, np.float32)
    tensors = {"token_embd": rand(n_vocab, N_EMBD), "output_norm": ones, "output": rand(n_vocab, N_EMBD),
               "blk.0.attn_norm": ones, **{f"blk.0.{n}": rand(N_EMBD, N_EMBD) for n in ("attn_q", "attn_k",
               "attn_v", "attn_output")}, "blk.0.ffn_norm": ones, "blk.0.ffn_gate": rand(N_FF, N_EMBD),
               "blk.0.ffn_up": rand(N_FF, N_EMBD), "blk.0.ffn_down": rand(N_EMBD, N_FF)}
    if babble:  # zero blocks leave every hidden state at one embedding, which only the "▁a" row scores
        tensors["token_embd"][:] = 1.0
        tensors["output"][:] = 0.0
        tensors["output"][tokens.index("▁a")] = 10.0
        tensors["blk.0.attn_output"][:] = tensors["blk.0.ffn_down"][:] = 0.0
    for name, tensor in tensors.items():
        w.add_tensor(f"{name}.weight", tensor)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
