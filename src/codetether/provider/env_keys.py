"""Opt-in fallback: provider keys from the usual environment variables."""

from __future__ import annotations

from codetether.provider.catalog import PROVIDERS
from codetether.secrets import sealed
from codetether.secrets.model import ProviderSecret

EXTRA_ENV_KEYS = {"GEMINI_API_KEY": "google", "ZHIPUAI_API_KEY": "zai"}
# Besides <PREFIX>_BASE_URL for <PREFIX>_API_KEY (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GROQ_BASE_URL, ...).
EXTRA_BASE_URL_ENV = {"openai": ("OPENAI_API_BASE",), "google": ("GOOGLE_GEMINI_BASE_URL", "GEMINI_BASE_URL"),
                      "zai": ("ZHIPUAI_BASE_URL",)}


def env_fallback_enabled(config_value: bool, env: dict[str, str] | None = None) -> bool:
    env = sealed.environ() if env is None else env
    return config_value or env.get("CODETETHER_ENV_FALLBACK", "").lower() in ("1", "true", "yes", "on")


def secrets_from_env(skip: set[str], env: dict[str, str] | None = None) -> dict[str, ProviderSecret]:
    """Provider secrets from environment keys, for providers Vault did not supply."""
    env = sealed.environ() if env is None else env
    found: dict[str, ProviderSecret] = {}
    pairs = [(s.env_key, s.id) for s in PROVIDERS.values() if s.env_key] + list(EXTRA_ENV_KEYS.items())
    for var, provider_id in pairs:
        if provider_id in skip or provider_id in found or not env.get(var):
            continue
        found[provider_id] = ProviderSecret(provider_id, api_key=env[var], base_url=_base_url(provider_id, var, env),
                                            source=f"env:{var}")
    return found


def _base_url(provider_id: str, key_var: str, env: dict[str, str]) -> str | None:
    """The provider's usual base-URL variable, as its own SDK would read it."""
    names = [key_var.removesuffix("_API_KEY") + "_BASE_URL", *EXTRA_BASE_URL_ENV.get(provider_id, ())]
    spec = PROVIDERS.get(provider_id)
    if spec and spec.env_key:
        names.insert(1, spec.env_key.removesuffix("_API_KEY") + "_BASE_URL")
    return next((env[n].strip().rstrip("/") for n in names if env.get(n, "").strip()), None)
