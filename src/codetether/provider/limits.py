"""Context windows by model name; the first matching substring wins."""

from __future__ import annotations

DEFAULT_CONTEXT_WINDOW = 128_000

_WINDOWS: tuple[tuple[str, int], ...] = (
    ("claude", 200_000), ("minimax", 204_800), ("gemini", 1_048_576), ("gpt-4.1", 1_047_576),
    ("gpt-5", 400_000), ("gpt-4o", 128_000), ("o3", 200_000), ("o4", 200_000), ("kimi-k2", 262_144),
    ("glm-5", 200_000), ("glm-4.6", 200_000), ("glm-4.5", 131_072), ("deepseek", 128_000),
    ("step-3", 256_000), ("qwen3", 262_144), ("llama-3", 131_072), ("gpt-oss", 131_072),
)


def context_window_for(model: str) -> int:
    name = model.lower()
    return next((size for key, size in _WINDOWS if key in name), DEFAULT_CONTEXT_WINDOW)
