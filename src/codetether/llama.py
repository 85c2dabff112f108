"""llama-cpp-python, imported only when a local GGUF model is used (the tool router, the local_cuda provider)."""

from __future__ import annotations

import importlib.util
from typing import Any

from codetether.errors import ConfigError

INSTALL = ("pip install llama-cpp-python (into the same environment as codetether; for NVIDIA GPUs build it "
           "with CMAKE_ARGS=\"-DGGML_CUDA=on\")")


def require_llama_cpp(what: str, alternative: str = "") -> None:
    """A ConfigError naming `what` and how to install llama-cpp-python, unless it is importable."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(f"{what} needs llama-cpp-python, which is not installed: {INSTALL}",
                          alternative or None)


def load_llama(model_path: str, *, device: str = "auto", n_ctx: int = 512, seed: int = 42) -> Any:
    """A llama_cpp.Llama for the GGUF file; auto/cuda offload every layer when the build supports a GPU."""
    from llama_cpp import Llama

    gpu_layers = 0 if device == "cpu" else -1
    return Llama(model_path=model_path, n_gpu_layers=gpu_layers, n_ctx=n_ctx, seed=seed, verbose=False)
