"""Turn a model id like `openrouter/stepfun/step-3.5-flash:free` into a ready provider."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from codetether.config.load import Config
from codetether.provider.catalog import ALIASES, PREFERENCE, PROVIDERS, canonical, spec_for
from codetether.provider.client import Provider
from codetether.provider.env_keys import env_fallback_enabled, secrets_from_env
from codetether.provider.errors import NoProvidersError, UnknownModelError
from codetether.provider.factory import make_provider
from codetether.secrets import sealed
from codetether.secrets.model import ProviderSecret
from codetether.secrets.vault import VaultClient, VaultSettings

NO_PROVIDERS_CHECKLIST = """\
Store a provider API key (asked for without echo) and try it:
  codetether auth login openai            # or anthropic, openrouter, moonshotai, ... (--base-url URL for others)
  codetether run "hello"
With no VAULT_ADDR set, keys go to a local vault codetether runs for you (`codetether vault status`).
To use your own Vault instead:
  export VAULT_ADDR="https://vault.example.com:8200" VAULT_TOKEN="hvs.your-token"
  vault kv put secret/codetether/providers/openrouter api_key="sk-or-v1-..."
(To read OPENAI_API_KEY-style environment variables instead, opt in with CODETETHER_ENV_FALLBACK=1.)"""


# What a provider's secret holds when it is not an api_key (shown when the secret is missing).
SECRET_FIELDS = {"gemini-web": "cookies=@cookies.txt (or: codetether auth cookies --provider gemini-web --file "
                               "cookies.txt)",
                 "local_cuda": "model_path=/path/to/model.gguf (or set LOCAL_CUDA_MODEL_PATH)",
                 **dict.fromkeys(("vertex-glm", "vertex-anthropic"),
                                 "service_account_json=@service-account.json region=global")}


def parse_model_id(model_id: str) -> tuple[str | None, str]:
    """Split at the first '/': everything after it, ':' suffixes included, is the model."""
    provider, sep, model = model_id.partition("/")
    return (provider, model) if sep else (None, model_id)


@dataclass
class ResolvedModel:
    provider: Provider  # or a class of its own (provider/factory.py) with the same methods
    model: str

    @property
    def id(self) -> str:
        return f"{self.provider.id}/{self.model}"

    @property
    def context_window(self) -> int:
        """The provider's own window if it has one (a local model's n_ctx), else the model table's."""
        from codetether.provider.models_catalog import CONTEXT_WINDOW_ENV, context_window_for

        own = getattr(self.provider, "context_window", None)
        return own if own and not os.environ.get(CONTEXT_WINDOW_ENV) else context_window_for(self.model)


async def load_secrets(config: Config, wanted: str | None = None,
                       env: dict[str, str] | None = None) -> dict[str, ProviderSecret]:
    """Provider secrets from Vault (only `wanted`'s when given), the opt-in environment fallback, LOCAL_CUDA_*."""
    env = sealed.environ() if env is None else env
    secrets: dict[str, ProviderSecret] = {}
    settings = VaultSettings.from_env(env)
    if settings is not None:
        async with VaultClient(settings) as vault:
            ids = _secret_ids(wanted) if wanted else None
            secrets = await vault.read_all(ids)
    if env_fallback_enabled(config.get("secrets.env_fallback"), env):
        for pid, secret in secrets_from_env(skip={canonical(i) for i in secrets}, env=env).items():
            if wanted is None or canonical(wanted) == pid:
                print(f"warning: using {secret.source[4:]} from the environment for provider '{pid}' "
                      "(env fallback is on); storing keys in Vault is safer", file=sys.stderr)
                secrets[pid] = secret
    if (wanted is None or canonical(wanted) == "local_cuda") and "local_cuda" not in {canonical(i) for i in secrets}:
        # LOCAL_CUDA_* name a model file, not a credential: no opt-in needed (spec §3.4).
        from codetether.provider.local_cuda import secret_from_env

        if (local := secret_from_env(env)) is not None:
            secrets["local_cuda"] = local
    return secrets


def _secret_ids(provider_id: str) -> list[str]:
    target = canonical(provider_id)
    return list(dict.fromkeys([provider_id, target, *(a for a, c in ALIASES.items() if c == target)]))


async def resolve_model(model_id: str | None, config: Config, env: dict[str, str] | None = None) -> ResolvedModel:
    """Pick provider and model from the id (or the configured default) and the available secrets."""
    model_id = (model_id or config.default_model or "").strip()
    provider_id, model = parse_model_id(model_id) if model_id else (None, "")
    provider_id = provider_id or config.get("default.provider") or None
    secrets = await load_secrets(config, provider_id, env)
    if provider_id is None:
        if not secrets:
            where = (f"no secrets under {_secrets_path()} in Vault at {os.environ['VAULT_ADDR']}"
                     if os.environ.get("VAULT_ADDR") else "no key stored yet")
            raise NoProvidersError(f"No providers available ({where})", NO_PROVIDERS_CHECKLIST)
        provider_id = _choose_default(secrets)
    secret = next((secrets[i] for i in _secret_ids(provider_id) if i in secrets), None)
    if secret is None:
        raise _missing_provider(provider_id, model_id)
    spec = spec_for(provider_id, secret.base_url)
    if spec is None:
        raise UnknownModelError(
            f"unknown provider '{provider_id}': it is not a built-in provider and its secret has no base_url",
            f"Add base_url for an OpenAI-compatible endpoint, or use one of: {', '.join(sorted(PROVIDERS))}.")
    model = model or spec.default_model
    if not model:
        raise UnknownModelError(f"no model given for provider '{provider_id}'",
                                f"Pass --model {provider_id}/<model-name>.")
    secret.provider_id = canonical(provider_id) if canonical(provider_id) in PROVIDERS else provider_id
    return ResolvedModel(make_provider(spec, secret), model)


def _choose_default(secrets: dict[str, ProviderSecret]) -> str:
    present = {canonical(i): i for i in secrets}
    for pid in PREFERENCE:
        if pid in present:
            return present[pid]
    return min(secrets)


def _missing_provider(provider_id: str, model_id: str) -> UnknownModelError:
    known = provider_id in PROVIDERS or canonical(provider_id) in PROVIDERS
    what = "has no secret" if known else "is not a known provider and has no secret"
    fields = SECRET_FIELDS.get(canonical(provider_id), "api_key=...")
    return UnknownModelError(
        f"provider '{provider_id}' (from model '{model_id or provider_id}') {what} in Vault",
        f"Store one: {_store_hint(provider_id, fields, known)}\nKnown providers: {', '.join(sorted(PROVIDERS))}")


def _store_hint(provider_id: str, fields: str, known: bool) -> str:
    if fields == "api_key=...":
        return f"codetether auth login {provider_id}{'' if known else ' --base-url https://...'}"
    return f"vault kv put {_secrets_path()}/{provider_id} {fields}"


def _secrets_path() -> str:
    return f"{os.environ.get('VAULT_MOUNT', 'secret').strip('/')}/" \
           f"{os.environ.get('VAULT_SECRETS_PATH', 'codetether/providers').strip('/')}"
