"""One table of model facts: context window, max output tokens and USD price per million tokens.

Rows are matched by key at the start of a name segment (after start, '/', ':', '-', '_' or '.'); the first row
that matches wins, so specific keys come before general ones. Prices are approximate list prices (lowest tier).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from codetether.errors import ConfigError
from codetether.provider.model import Usage

DEFAULT_CONTEXT_WINDOW = 128_000  # conservative for models the table does not know
DEFAULT_MAX_OUTPUT = 8_192
CONTEXT_WINDOW_ENV = "CODETETHER_CONTEXT_WINDOW"


@dataclass(frozen=True)
class ModelInfo:
    key: str
    context_window: int
    max_output: int
    input_price: float  # USD per million prompt tokens
    output_price: float  # USD per million completion tokens


_M = 1_048_576
MODELS: tuple[ModelInfo, ...] = tuple(ModelInfo(*row) for row in (
    # openai
    ("gpt-5-nano", 400_000, 128_000, 0.05, 0.40), ("gpt-5-mini", 400_000, 128_000, 0.25, 2.0),
    ("gpt-5", 400_000, 128_000, 1.25, 10.0),
    ("gpt-4.1-nano", 1_047_576, 32_768, 0.10, 0.40), ("gpt-4.1-mini", 1_047_576, 32_768, 0.40, 1.60),
    ("gpt-4.1", 1_047_576, 32_768, 2.0, 8.0),
    ("gpt-4o-mini", 128_000, 16_384, 0.15, 0.60), ("gpt-4o", 128_000, 16_384, 2.50, 10.0),
    ("o4-mini", 200_000, 100_000, 1.10, 4.40), ("o3-mini", 200_000, 100_000, 1.10, 4.40),
    ("o3", 200_000, 100_000, 2.0, 8.0), ("o1", 200_000, 100_000, 15.0, 60.0),
    ("gpt-oss-120b", 131_072, 32_768, 0.15, 0.75), ("gpt-oss-20b", 131_072, 32_768, 0.075, 0.30),
    # anthropic (dashed ids from the API, dotted ids from openrouter)
    ("claude-opus-4-5", 200_000, 64_000, 5.0, 25.0), ("claude-opus-4.5", 200_000, 64_000, 5.0, 25.0),
    ("claude-haiku-4-5", 200_000, 64_000, 1.0, 5.0), ("claude-haiku-4.5", 200_000, 64_000, 1.0, 5.0),
    ("claude-3-haiku", 200_000, 4_096, 0.25, 1.25), ("haiku", 200_000, 8_192, 0.80, 4.0),
    ("opus", 200_000, 32_000, 15.0, 75.0), ("sonnet", 200_000, 64_000, 3.0, 15.0),
    ("claude", 200_000, 8_192, 3.0, 15.0),
    # amazon (bedrock)
    ("nova-premier", 1_000_000, 10_000, 2.50, 12.50), ("nova-pro", 300_000, 10_000, 0.80, 3.20),
    ("nova-lite", 300_000, 10_000, 0.06, 0.24), ("nova-micro", 128_000, 10_000, 0.035, 0.14),
    # moonshotai
    ("kimi-k2.5", 262_144, 32_768, 0.60, 3.0), ("kimi-k2-turbo", 262_144, 32_768, 2.40, 10.0),
    ("kimi-k2", 262_144, 32_768, 0.60, 2.50),
    # gemini-web: the Gemini app with a Google account's cookies (no per-token price)
    ("gemini-web", _M, 65_536, 0.0, 0.0),
    # google
    ("gemini-3-pro", _M, 65_536, 2.0, 12.0), ("gemini-2.5-pro", _M, 65_536, 1.25, 10.0),
    ("gemini-2.5-flash-lite", _M, 65_536, 0.10, 0.40), ("gemini-2.5-flash", _M, 65_536, 0.30, 2.50),
    ("gemini-2.0-flash", _M, 8_192, 0.10, 0.40), ("gemini", _M, 8_192, 1.25, 10.0),
    # zai
    ("glm-5", 200_000, 128_000, 1.0, 3.20), ("glm-4.7", 200_000, 128_000, 0.60, 2.20),
    ("glm-4.6", 200_000, 128_000, 0.60, 2.20), ("glm-4.5-air", 131_072, 98_304, 0.20, 1.10),
    ("glm-4.5", 131_072, 98_304, 0.60, 2.20),
    # deepseek, minimax, stepfun
    ("deepseek-reasoner", 128_000, 64_000, 0.28, 0.42), ("deepseek", 128_000, 8_192, 0.28, 0.42),
    ("minimax", 204_800, 131_072, 0.30, 1.20),
    ("step-3", 256_000, 65_536, 0.10, 0.30),
    # open-weight models served by cerebras, groq, novita and openrouter
    ("llama-3.3-70b", 131_072, 32_768, 0.59, 0.79), ("llama-3.1-8b", 131_072, 8_192, 0.05, 0.08),
    ("llama-3", 131_072, 8_192, 0.59, 0.79),
    ("qwen3.5-9b", 262_144, 32_768, 0.0, 0.0),  # local_cuda's default: runs on your own machine
    ("qwen-3", 131_072, 32_768, 0.60, 1.20), ("qwen3-32b", 131_072, 40_960, 0.29, 0.59),
    ("qwen3-coder", 262_144, 65_536, 0.30, 1.20), ("qwen3", 262_144, 32_768, 0.20, 0.80),
))


@lru_cache(maxsize=256)
def model_info(model: str) -> ModelInfo | None:
    name = model.lower()
    return next((m for m in MODELS if _starts_segment(name, m.key)), None)


def _starts_segment(name: str, key: str) -> bool:
    """`key` occurs in `name` at the start of a segment (plain string search: no regex to compile per row)."""
    at = name.find(key)
    while at != -1:
        if at == 0 or name[at - 1] in "/:_.-":
            return True
        at = name.find(key, at + 1)
    return False


def context_window_for(model: str) -> int:
    """The model's window; CODETETHER_CONTEXT_WINDOW overrides it for the whole run (tests force a small one)."""
    override = os.environ.get(CONTEXT_WINDOW_ENV, "").strip()
    if override:
        if not override.isdigit() or int(override) < 1024:
            raise ConfigError(f"{CONTEXT_WINDOW_ENV} must be a whole number of tokens (at least 1024), "
                              f"not '{override}'")
        return int(override)
    info = model_info(model)
    return info.context_window if info else DEFAULT_CONTEXT_WINDOW


def max_output_for(model: str) -> int:
    info = model_info(model)
    return info.max_output if info else DEFAULT_MAX_OUTPUT


def price_for(model: str) -> tuple[float, float] | None:
    if model.lower().endswith(":free"):  # openrouter's free variants of priced models
        return 0.0, 0.0
    info = model_info(model)
    return (info.input_price, info.output_price) if info else None


def cost_usd(model: str, usage: Usage) -> float:
    """Estimated cost; unknown models count as free rather than guessing."""
    price = price_for(model)
    if price is None:
        return 0.0
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000
