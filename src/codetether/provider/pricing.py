"""USD per million tokens (input, output) by model name; the first matching substring wins."""

from __future__ import annotations

from codetether.provider.model import Usage

_PRICES: tuple[tuple[str, float, float], ...] = (
    ("claude-opus", 15.0, 75.0), ("claude-sonnet", 3.0, 15.0), ("claude-haiku", 0.8, 4.0),
    ("gpt-4o-mini", 0.15, 0.6), ("gpt-4o", 2.5, 10.0), ("gpt-4.1-mini", 0.4, 1.6), ("gpt-4.1", 2.0, 8.0),
    ("gpt-5-mini", 0.25, 2.0), ("gpt-5", 1.25, 10.0), ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash", 0.3, 2.5), ("kimi-k2", 0.6, 2.5), ("glm-5", 1.0, 3.2), ("glm-4", 0.6, 2.2),
    ("deepseek", 0.28, 0.42), ("minimax", 0.3, 1.2), ("step-3", 0.0, 0.0), (":free", 0.0, 0.0),
)


def price_for(model: str) -> tuple[float, float] | None:
    name = model.lower()
    return next(((i, o) for key, i, o in _PRICES if key in name), None)


def cost_usd(model: str, usage: Usage) -> float:
    """Estimated cost; unknown models count as free rather than guessing."""
    price = price_for(model)
    if price is None:
        return 0.0
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000
