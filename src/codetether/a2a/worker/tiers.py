"""Model tiers (spec §11.5-11.6): a task's `model_tier` (or its complexity) picks a provider the worker has and that
provider's model for the tier, when the task names no model of a provider the worker has."""

from __future__ import annotations

from dataclasses import dataclass

from codetether.provider.catalog import canonical

TIERS = ("fast", "balanced", "heavy")
# Providers in the order each tier prefers them (spec §11.6, zhipuai under our id zai).
PREFERENCE: dict[str, tuple[str, ...]] = {
    "fast": ("google", "openai", "moonshotai", "zai", "anthropic", "openrouter", "novita"),
    "balanced": ("openai", "anthropic", "google", "moonshotai", "zai", "openrouter", "novita"),
    "heavy": ("anthropic", "openai", "google", "moonshotai", "zai", "openrouter", "novita"),
}
# (fast, balanced, heavy) model per provider; "other" for any provider not listed.
DEFAULTS: dict[str, tuple[str, str, str]] = {
    "moonshotai": ("kimi-k2.5", "kimi-k2.5", "kimi-k2.5"),
    "anthropic": ("claude-haiku-4-5", "claude-sonnet-4-20250514", "claude-sonnet-4-20250514"),
    "openai": ("gpt-4o-mini", "gpt-4o", "o3"),
    "google": ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-pro"),
    "zai": ("glm-4.7", "glm-4.7", "glm-4.7"),
    "openrouter": ("zhipuai/glm-4.7",) * 3,
    "novita": ("qwen/qwen3-coder-next",) * 3,
    "other": ("glm-4.7",) * 3,
}
_ALIASES = {"quick": "fast", "deep": "heavy", "medium": "balanced", "standard": "balanced"}


@dataclass(frozen=True)
class Routing:
    complexity: str | None
    tier: str  # fast | balanced | heavy
    explicit: bool  # the task asked for a tier (model_tier/tier) or gave a complexity


def routing(tier: str | None, complexity: str | None) -> Routing:
    """`model_tier`/`tier` wins; else complexity quick -> fast, deep -> heavy; anything else is balanced."""
    named = (tier or "").strip().lower()
    if named:
        return Routing(complexity, _ALIASES.get(named, named if named in TIERS else "balanced"), True)
    level = (complexity or "").strip().lower()
    return Routing(complexity, {"quick": "fast", "deep": "heavy"}.get(level, "balanced"), bool(level))


def tier_model(tier: str, providers: list[str], requested_provider: str | None = None) -> str | None:
    """`provider/model` for the tier: the requested provider when the worker has it, else the first the tier
    prefers, else the first the worker has; None when it has none."""
    have = {canonical(p): p for p in providers}
    if not have:
        return None
    order = [requested_provider] if requested_provider else []
    order += [*PREFERENCE.get(tier, PREFERENCE["balanced"]), *have]
    provider = next(canonical(p) for p in order if p and canonical(p) in have)
    column = TIERS.index(tier) if tier in TIERS else 1
    return f"{have[provider]}/{DEFAULTS.get(provider, DEFAULTS['other'])[column]}"


def choose_model(requested: str | None, route: Routing, providers: list[str], fallback: str | None) -> str | None:
    """The model a task runs with: the one it names (its provider present), else the tier's; a task without
    tier or complexity uses the worker's default (--model / default_model) before the balanced tier."""
    from codetether.provider.registry import parse_model_id

    if requested:
        provider, _model = parse_model_id(requested)
        if provider is None or canonical(provider) in {canonical(p) for p in providers}:
            return requested
        return tier_model(route.tier, providers, None) or requested  # the spec: missing provider -> tier default
    if not route.explicit and fallback:
        return fallback
    return tier_model(route.tier, providers) or fallback
