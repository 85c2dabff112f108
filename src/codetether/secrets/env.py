"""Opt-in fallback: provider keys from the usual environment variables."""

from __future__ import annotations

import os

from codetether.provider.catalog import PROVIDERS
from codetether.secrets.model import ProviderSecret

EXTRA_ENV_KEYS = {"GEMINI_API_KEY": "google", "ZHIPUAI_API_KEY": "zai"}


def env_fallback_enabled(config_value: bool, env: dict[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return config_value or env.get("CODETETHER_ENV_FALLBACK", "").lower() in ("1", "true", "yes", "on")


def secrets_from_env(skip: set[str], env: dict[str, str] | None = None) -> dict[str, ProviderSecret]:
    """Provider secrets from environment keys, for providers Vault did not supply."""
    env = os.environ if env is None else env
    found: dict[str, ProviderSecret] = {}
    pairs = [(s.env_key, s.id) for s in PROVIDERS.values() if s.env_key] + list(EXTRA_ENV_KEYS.items())
    for var, provider_id in pairs:
        if provider_id in skip or provider_id in found or not env.get(var):
            continue
        found[provider_id] = ProviderSecret(provider_id, api_key=env[var], source=f"env:{var}")
    return found
