"""Write refreshed credentials (OAuth tokens, Copilot session tokens) back to the Vault secret they came from."""

from __future__ import annotations

import sys
from typing import Any

from codetether.secrets.model import ProviderSecret
from codetether.secrets.redact import redact, remember

_warned: set[str] = set()  # providers whose failed write-back was already reported in this process


async def write_back(secret: ProviderSecret, fields: dict[str, Any], *, cache: bool = False) -> bool:
    """Merge ``fields`` into the secret in memory and in Vault; False when Vault refuses (warned once per provider).

    ``cache``: the fields only save work (Copilot session tokens), so a read-only Vault token (403) is not worth
    a warning. Secrets that did not come from Vault (environment fallback, tests) are only updated in memory."""
    for value in fields.values():
        if isinstance(value, str):
            remember(value)
    secret.extra.update(fields)
    if secret.vault is None or not secret.vault_id:
        return False
    from codetether.secrets.vault import VaultClient, VaultError

    try:
        async with VaultClient(secret.vault) as vault:
            await vault.write_provider(secret.vault_id, fields, merge=True)
    except VaultError as exc:
        if (cache and exc.status == 403) or secret.provider_id in _warned:
            return False
        _warned.add(secret.provider_id)
        # The request can still go ahead with the new token; only the next process would miss it.
        print(f"warning: could not store the refreshed credentials of '{secret.provider_id}' in Vault: "
              f"{redact(exc.message)}", file=sys.stderr)
        return False
    return True
