"""CODETETHER_COGNITION_* settings: every variable of the seed's table with its default, parsed with clear errors."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from codetether.errors import UsageError

PREFIX = "CODETETHER_COGNITION_"
MIN_INTERVAL_MS = 100  # the original's floor: a faster loop only burns the thinker
BACKENDS = {"openai_compat": "openai_compat", "openai": "openai_compat", "openai-compatible": "openai_compat",
            "http": "openai_compat", "candle": "gguf", "gguf": "gguf", "llama_cpp": "gguf", "llama-cpp": "gguf"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class CognitionSettings:
    """Field names are the variable names without the prefix, lower-cased."""

    enabled: bool = True
    auto_start: bool = True
    loop_interval_ms: int = 2000
    max_spawn_depth: int = 4
    max_branching_factor: int = 4
    max_events: int = 2000
    max_snapshots: int = 128
    token_credits_per_minute: int = 20000
    cpu_credits_per_minute: int = 10000
    idle_ttl_secs: int = 3600
    share_memory: bool = False
    thinker_enabled: bool = True
    thinker_backend: str = "openai_compat"
    thinker_base_url: str = "http://127.0.0.1:11434/v1"
    thinker_model: str = "qwen2.5:3b-instruct"
    thinker_api_key: str | None = None
    thinker_temperature: float = 0.2
    thinker_top_p: float | None = None
    thinker_max_tokens: int = 256
    thinker_timeout_ms: int = 12000
    thinker_candle_model_path: str | None = None
    thinker_candle_tokenizer_path: str | None = None
    thinker_candle_arch: str = "auto"
    thinker_candle_device: str = "auto"
    thinker_candle_cuda_ordinal: int = 0
    thinker_candle_repeat_penalty: float = 1.1
    thinker_candle_repeat_last_n: int = 64
    thinker_candle_seed: int = 42

    def __repr__(self) -> str:  # the API key must never reach a log line or an error message
        return f"CognitionSettings(backend={self.thinker_backend}, model={self.thinker_model})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CognitionSettings:
        """Read the process environment (or `env`); an unset or blank variable keeps its default."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, parse in _PARSERS.items():
            raw = env.get(PREFIX + name.upper(), "").strip()
            if raw:
                values[name] = parse(PREFIX + name.upper(), raw)
        return cls(**values)


def _fail(var: str, raw: str, want: str) -> UsageError:
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    return UsageError(f"{var}={shown!r} is not valid: expected {want}", f"Fix {var} or unset it to use the default.")


def _bool(var: str, raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise _fail(var, raw, "true/false (also 1/0, yes/no, on/off)")


def _int(low: int) -> Callable[[str, str], int]:
    def parse(var: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise _fail(var, raw, f"a whole number >= {low}") from None
        if value < low:
            raise _fail(var, raw, f"a whole number >= {low}")
        return value
    return parse


def _float(low: float, high: float) -> Callable[[str, str], float]:
    def parse(var: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise _fail(var, raw, f"a number between {low} and {high}") from None
        if not low <= value <= high:
            raise _fail(var, raw, f"a number between {low} and {high}")
        return value
    return parse


def _choice(*options: str) -> Callable[[str, str], str]:
    def parse(var: str, raw: str) -> str:
        if raw.lower() not in options:
            raise _fail(var, raw, "one of " + ", ".join(options))
        return raw.lower()
    return parse


def _backend(var: str, raw: str) -> str:
    if raw.lower() not in BACKENDS:
        raise _fail(var, raw, "openai_compat, or candle (a local GGUF model through llama-cpp-python)")
    return BACKENDS[raw.lower()]


def _url(var: str, raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise _fail(var, raw, "an http:// or https:// URL such as http://127.0.0.1:11434/v1")
    return raw.rstrip("/")


def _text(_var: str, raw: str) -> str:
    return raw


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "enabled": _bool, "auto_start": _bool, "loop_interval_ms": _int(1),
    "max_spawn_depth": _int(0), "max_branching_factor": _int(1), "max_events": _int(1), "max_snapshots": _int(1),
    "token_credits_per_minute": _int(0), "cpu_credits_per_minute": _int(0), "idle_ttl_secs": _int(0),
    "share_memory": _bool, "thinker_enabled": _bool, "thinker_backend": _backend, "thinker_base_url": _url,
    "thinker_model": _text, "thinker_api_key": _text, "thinker_temperature": _float(0.0, 2.0),
    "thinker_top_p": _float(0.0, 1.0), "thinker_max_tokens": _int(1), "thinker_timeout_ms": _int(1),
    "thinker_candle_model_path": _text, "thinker_candle_tokenizer_path": _text,
    "thinker_candle_arch": _choice("auto", "llama", "qwen2", "gemma3"),
    "thinker_candle_device": _choice("auto", "cpu", "cuda"), "thinker_candle_cuda_ordinal": _int(0),
    "thinker_candle_repeat_penalty": _float(0.0, 10.0), "thinker_candle_repeat_last_n": _int(0),
    "thinker_candle_seed": _int(0),
}
