"""`codetether models`: each provider's models with context window, price, and whether a key is present."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any


def execute(args: argparse.Namespace) -> int:
    rows = asyncio.run(collect(args.provider, args.refresh))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(render(rows))
    return 0


async def collect(only: str | None, refresh: bool) -> list[dict[str, Any]]:
    """One entry per provider; secrets come from Vault (and the opt-in env fallback), never shown."""
    from codetether.config.load import load
    from codetether.errors import CodetetherError
    from codetether.provider.catalog import PROVIDERS, canonical
    from codetether.provider.registry import load_secrets

    error: str | None = None
    try:
        secrets = {canonical(k): v for k, v in (await load_secrets(load(), only)).items()}
    except CodetetherError as exc:
        secrets, error = {}, exc.message
    ids = [canonical(only)] if only else sorted(set(PROVIDERS) | set(secrets))
    if only and ids[0] not in PROVIDERS and ids[0] not in secrets:
        from codetether.errors import UsageError

        raise UsageError(f"unknown provider '{only}' (no built-in provider and no secret of that name)",
                         f"Known providers: {', '.join(sorted(PROVIDERS))}.")
    rows = []
    for pid in ids:
        secret = secrets.get(pid)
        row = await _row(pid, secret, refresh and secret is not None)
        if error and secret is None:
            row["error"] = error
        rows.append(row)
    return rows


async def _row(pid: str, secret: Any, refresh: bool) -> dict[str, Any]:
    from codetether.errors import CodetetherError
    from codetether.provider.known_models import KNOWN_MODELS
    from codetether.provider.models_catalog import max_output_for, model_info, price_for

    available, source = secret is not None, secret.source if secret is not None else None
    row: dict[str, Any] = {"provider": pid, "available": available, "source": source}
    names = list(KNOWN_MODELS.get(pid, ()))
    if refresh:
        try:
            names = sorted(set(names) | set(await _live(pid, secret)))
        except CodetetherError as exc:
            row["error"] = exc.message
    models = []
    for name in names:
        info, price = model_info(name), price_for(name)
        models.append({"provider": pid, "canonical_id": name, "selectable_id": f"{pid}/{name}", "aliases": [],
                       "qualifiers": [], "available": available, "source": source,
                       "context_window": info.context_window if info else None,
                       "max_output_tokens": max_output_for(name) if info else None,
                       "input_cost_per_million": price[0] if price else None,
                       "output_cost_per_million": price[1] if price else None})
    row["models"] = models
    return row


async def _live(pid: str, secret: Any) -> list[str]:
    from codetether.provider.catalog import spec_for
    from codetether.provider.factory import make_provider

    spec = spec_for(pid, secret.base_url)
    if spec is None:
        return []
    provider = make_provider(spec, secret, max_attempts=1)
    try:
        return await provider.list_models()
    finally:
        await provider.aclose()


def render(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        state = f"key from {row['source']}" if row["available"] else "no key"
        lines.append(f"{row['provider']}  ({state}{'; ' + row['error'] if row.get('error') else ''})")
        for m in row["models"]:
            window = f"{m['context_window']:,} ctx" if m["context_window"] else "ctx unknown"
            price = (f"${m['input_cost_per_million']:g}/${m['output_cost_per_million']:g} per M tokens"
                     if m["input_cost_per_million"] is not None else "price unknown")
            lines.append(f"  {m['selectable_id']:<52} {window:>14}  {price}")
    return "\n".join(lines)
