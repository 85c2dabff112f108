"""The models a worker advertises: one per provider with a secret in Vault (its catalog default model)."""

from __future__ import annotations

from codetether.config.load import Config
from codetether.provider.catalog import PROVIDERS, canonical, spec_for
from codetether.provider.errors import NoProvidersError
from codetether.provider.registry import NO_PROVIDERS_CHECKLIST, load_secrets, parse_model_id


async def available_models(config: Config, preferred: str | None = None) -> list[dict[str, str]]:
    """`{id, name, provider, provider_id}` rows; the configured default model is listed first."""
    secrets = await load_secrets(config)
    if not secrets:
        raise NoProvidersError("No providers available: the worker found no provider secrets in Vault",
                               NO_PROVIDERS_CHECKLIST)
    rows: list[dict[str, str]] = []
    wanted = preferred or config.default_model or ""
    want_provider, want_model = parse_model_id(wanted) if wanted else (None, "")
    for pid in sorted(secrets):
        spec = spec_for(pid, secrets[pid].base_url)
        provider = canonical(pid) if canonical(pid) in PROVIDERS else pid
        models = [want_model] if want_provider and canonical(want_provider) == canonical(pid) and want_model else []
        if spec is not None and spec.default_model and spec.default_model not in models:
            models.append(spec.default_model)
        rows += [{"id": f"{provider}/{m}", "name": m, "provider": provider, "provider_id": provider} for m in models]
    rows.sort(key=lambda r: r["provider"] != (canonical(want_provider) if want_provider else None))
    return rows
