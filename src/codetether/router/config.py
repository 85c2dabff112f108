"""The tool router's settings, read from the seed's CODETETHER_TOOL_ROUTER_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from codetether.errors import ConfigError

_ON = {"1", "true", "yes"}  # exactly the seed's words; anything else leaves the router off


@dataclass(frozen=True)
class RouterConfig:
    backend: str  # "openai" (any OpenAI-compatible endpoint, e.g. Ollama) or "gguf" (llama-cpp-python)
    model_path: str = ""
    base_url: str = ""
    model: str = "functiongemma"
    arch: str = "gemma3"  # gguf: gemma* -> Gemma's turn format; anything else -> the GGUF's own chat template
    device: str = "auto"
    max_tokens: int = 512
    temperature: float = 0.1
    timeout: float = 30.0


def router_config(env: Mapping[str, str] | None = None) -> RouterConfig | None:
    """None when the router is disabled (the default); ConfigError naming the variable when it is misconfigured."""
    env = os.environ if env is None else env

    def get(name: str, default: str = "") -> str:
        return (env.get(f"CODETETHER_TOOL_ROUTER_{name}") or default).strip()

    if get("ENABLED").lower() not in _ON:
        return None
    base_url, model_path = get("BASE_URL"), get("MODEL_PATH")
    backend = get("BACKEND", "openai" if base_url else "gguf").lower()
    if backend not in ("openai", "gguf"):
        raise ConfigError(f"CODETETHER_TOOL_ROUTER_BACKEND must be 'openai' or 'gguf', got {backend!r}")
    if backend == "openai" and not base_url:
        raise ConfigError("CODETETHER_TOOL_ROUTER_BASE_URL is required for the openai router backend",
                          "e.g. CODETETHER_TOOL_ROUTER_BASE_URL=http://127.0.0.1:11434/v1 (Ollama)")
    if backend == "gguf" and not model_path:
        raise ConfigError("CODETETHER_TOOL_ROUTER_MODEL_PATH is required when the tool router is enabled",
                          "Point it at the FunctionGemma .gguf file, or set CODETETHER_TOOL_ROUTER_BASE_URL "
                          "to an OpenAI-compatible endpoint (e.g. Ollama) instead.")
    device = get("DEVICE", "auto").lower()
    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"CODETETHER_TOOL_ROUTER_DEVICE must be auto, cpu or cuda, got {device!r}")
    return RouterConfig(backend, model_path, base_url, get("MODEL", "functiongemma"), get("ARCH", "gemma3").lower(),
                        device, _number(get, "MAX_TOKENS", "512", int),
                        _number(get, "TEMPERATURE", "0.1", float), _number(get, "TIMEOUT", "30", float))


def _number(get, name: str, default: str, kind: type) -> float:
    text = get(name, default)
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"CODETETHER_TOOL_ROUTER_{name} must be a {kind.__name__}, got {text!r}") from None
    if value < 0:
        raise ConfigError(f"CODETETHER_TOOL_ROUTER_{name} must not be negative, got {text!r}")
    return value
