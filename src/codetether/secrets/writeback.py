"""Write refreshed credentials (OAuth tokens, Copilot session tokens) back to the Vault secret they came from."""

from __future__ import annotations

import sys
from typing import Any

from codetether.secrets.model import ProviderSecret
from codetether.secrets.redact import redact, remember


async def write_back(secret: ProviderSecret, fields: dict[str, Any]) -> bool:
    """Merge ``fields`` into the secret in memory and in Vault; False (after one warning) when Vault refuses.

    Secrets that did not come from Vault (environment fallback, tests) are only updated in memory."""
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
        # The request can still go ahead with the new token; only the next process would miss it.
        print(f"warning: could not store the refreshed credentials of '{secret.provider_id}' in Vault: "
              f"{redact(exc.message)}", file=sys.stderr)
        return False
    return True
