"""One model table: windows, output limits and prices by name, with a window override for the whole run."""

from __future__ import annotations

import pytest

from codetether.errors import ConfigError
from codetether.provider.catalog import PROVIDERS
from codetether.provider.model import Usage
from codetether.provider.models_catalog import (
    DEFAULT_CONTEXT_WINDOW,
    context_window_for,
    cost_usd,
    max_output_for,
    model_info,
    price_for,
)


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv("CODETETHER_CONTEXT_WINDOW", raising=False)


@pytest.mark.parametrize(("model", "window"), [
    ("gpt-4o", 128_000), ("gpt-4.1-mini", 1_047_576), ("claude-sonnet-4-20250514", 200_000),
    ("anthropic/claude-opus-4.5", 200_000), ("kimi-k2.5", 262_144), ("gemini-2.5-flash", 1_048_576),
    ("z-ai/glm-5", 200_000), ("glm-4.5-air", 131_072), ("deepseek-chat", 128_000), ("MiniMax-M3", 204_800),
    ("stepfun/step-3.5-flash:free", 256_000), ("llama-3.3-70b-versatile", 131_072), ("qwen/qwen3-32b", 131_072),
])
def test_windows_by_name(model, window):
    assert context_window_for(model) == window


def test_every_builtin_default_model_is_in_the_table():
    missing = [p.default_model for p in PROVIDERS.values() if p.default_model and model_info(p.default_model) is None]
    assert missing == []


def test_keys_match_at_a_name_boundary_only():
    assert model_info("o3-mini").key == "o3-mini"
    assert model_info("gpt-4o3").key == "gpt-4o"  # not "o3"
    assert model_info("scripted-model") is None


def test_unknown_models_get_conservative_defaults():
    assert context_window_for("test-model") == DEFAULT_CONTEXT_WINDOW == 128_000
    assert max_output_for("test-model") == 8_192 and price_for("test-model") is None
    assert cost_usd("test-model", Usage(1_000_000, 1_000_000)) == 0.0


def test_prices_and_free_variants():
    assert price_for("claude-opus-4-5-20251101") == (5.0, 25.0)
    assert price_for("openrouter/some-model:free") == (0.0, 0.0)
    assert cost_usd("gpt-4o", Usage(1_000_000, 100_000)) == pytest.approx(3.5)


def test_environment_overrides_the_window(monkeypatch):
    monkeypatch.setenv("CODETETHER_CONTEXT_WINDOW", "6000")
    assert context_window_for("claude-sonnet-4") == 6000
    monkeypatch.setenv("CODETETHER_CONTEXT_WINDOW", "lots")
    with pytest.raises(ConfigError, match="CODETETHER_CONTEXT_WINDOW"):
        context_window_for("gpt-4o")
