"""Where Vault's address and token come from: VAULT_TOKEN, a token file (a Vault Agent sink, ~/.vault-token)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from codetether.errors import CodetetherError


def vault_token(env: Mapping[str, str]) -> tuple[str, Path | None]:
    """The token and the file it came from: VAULT_TOKEN (or BAO_TOKEN), VAULT_TOKEN_FILE (the Vault Agent sink;
    BAO_TOKEN_FILE), then ~/.vault-token as the vault CLI writes it."""
    for name in ("VAULT_TOKEN", "BAO_TOKEN"):
        if env.get(name, "").strip():
            return env[name].strip(), None
    files = [env[n] for n in ("VAULT_TOKEN_FILE", "BAO_TOKEN_FILE") if env.get(n, "").strip()]
    for name in files or ["~/.vault-token"]:
        path = Path(os.path.expanduser(name.strip()))
        token = read_token_file(path)
        if token:
            return token, path
        if files:
            raise CodetetherError(f"the Vault token file {path} (VAULT_TOKEN_FILE) is missing, empty or unreadable",
                                  "Check that the Vault Agent writing it is running, or unset VAULT_TOKEN_FILE.")
    return "", None


def read_token_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def check_addr(addr: str) -> None:
    """A malformed VAULT_ADDR is the user's setting to fix, named as such (not an internal error)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(addr)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise CodetetherError(f"VAULT_ADDR is not a valid Vault address: {addr!r}",
                              "Set VAULT_ADDR to the server's URL with its scheme, e.g. "
                              "https://vault.example.com:8200 or http://127.0.0.1:8200.")
