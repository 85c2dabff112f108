"""The models a picker offers (the TUI's Ctrl+M, an editor's model selector over ACP)."""

from __future__ import annotations

from codetether.provider.catalog import PROVIDERS, canonical
from codetether.provider.models_catalog import MODELS

# Which rows of the model table each provider serves; others offer their default model only.
FAMILIES: dict[str, tuple[str, ...]] = {
    "openai": ("gpt-", "o1", "o3", "o4"), "anthropic": ("claude",), "moonshotai": ("kimi",),
    "google": ("gemini",), "zai": ("glm",), "deepseek": ("deepseek",), "minimax": ("minimax",),
    "stepfun": ("step-",), "cerebras": ("gpt-oss", "llama", "qwen"), "groq": ("llama", "gpt-oss", "qwen"),
}


def model_choices(provider_ids: list[str], current: str | None) -> list[str]:
    """provider/model ids for the providers with a secret: default model first, then the catalog's rows."""
    choices: list[str] = []
    for pid in sorted({canonical(p) for p in provider_ids} | ({current.split("/", 1)[0]} if current else set())):
        spec = PROVIDERS.get(pid)
        names = [spec.default_model] if spec and spec.default_model else []
        names += [m.key for m in MODELS if m.key.startswith(FAMILIES.get(pid, ())) and m.key not in names]
        choices += [f"{pid}/{name}" for name in names]
    if current and current not in choices:
        choices.insert(0, current)
    return choices
