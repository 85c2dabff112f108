"""A small async client for Vault's KV v2 HTTP API (works with HashiCorp Vault and OpenBao)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx

from codetether.errors import CodetetherError
from codetether.net import async_client
from codetether.secrets import sealed
from codetether.secrets.k8s_auth import K8sAuth
from codetether.secrets.model import ProviderSecret
from codetether.secrets.redact import remember
from codetether.secrets.vault_token import check_addr, read_token_file, vault_token


class VaultError(CodetetherError):
    status: int | None = None  # Vault's HTTP status, when it answered


class CasMismatch(VaultError):
    """A check-and-set write lost: someone wrote the secret after it was read."""


CAS_ATTEMPTS = 6


@dataclass
class VaultSettings:
    addr: str
    token: str
    mount: str = "secret"
    path: str = "codetether/providers"
    namespace: str | None = None
    k8s: K8sAuth | None = None  # VAULT_ROLE: the token comes from a Kubernetes login, renewed on 403
    token_file: Path | None = None  # where the token was read; read again when Vault rejects it (renewals)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> VaultSettings | None:
        """Without VAULT_ADDR: the local vault codetether manages, or None when that was never set up."""
        env = sealed.environ() if env is None else env
        addr = env.get("VAULT_ADDR", "").strip()
        if not addr:
            from codetether.secrets.local_vault import managed_settings

            return managed_settings()
        try:
            check_addr(addr)
            token, token_file = vault_token(env)
        except CodetetherError as exc:
            raise VaultError(exc.message, exc.hint) from None
        k8s = K8sAuth.from_env(env)
        if not token and k8s is None:
            raise VaultError(f"VAULT_ADDR is set ({addr}) but no Vault token was found",
                             "Export VAULT_TOKEN, or point VAULT_TOKEN_FILE at a token file (a Vault Agent sink), "
                             "or log in with `vault login` (~/.vault-token).")
        if token:
            remember(token)
        return cls(addr.rstrip("/"), token, env.get("VAULT_MOUNT", "secret").strip("/") or "secret",
                   env.get("VAULT_SECRETS_PATH", "codetether/providers").strip("/"),
                   env.get("VAULT_NAMESPACE") or None, k8s, token_file)

    def reread_token(self) -> bool:
        """Take a renewed token from the token file; True when it changed."""
        if self.token_file is None:
            return False
        fresh = read_token_file(self.token_file)
        if not fresh or fresh == self.token:
            return False
        remember(fresh)
        self.token = fresh
        return True


class VaultClient:
    """Reads provider secrets; every failure becomes one clear line, never a traceback."""

    def __init__(self, settings: VaultSettings, timeout: float = 10.0):
        self.settings = settings
        headers = {"X-Vault-Token": settings.token}
        if settings.namespace:
            headers["X-Vault-Namespace"] = settings.namespace
        self._http = async_client(settings.addr, base_url=settings.addr, headers=headers, timeout=timeout)
        self._logged_in = False
        self._login_lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def list_providers(self) -> list[str]:
        s = self.settings
        data = await self._request("LIST", f"/v1/{s.mount}/metadata/{s.path}", f"{s.mount}/{s.path}")
        keys = (data or {}).get("data", {}).get("keys", [])
        return sorted(k for k in keys if not k.endswith("/"))

    async def read_provider(self, provider_id: str) -> ProviderSecret | None:
        s = self.settings
        data = await self._request("GET", f"/v1/{s.mount}/data/{s.path}/{provider_id}",
                                   f"{s.mount}/{s.path}/{provider_id}")
        if data is None:
            return None
        fields = (data.get("data") or {}).get("data") or {}
        secret = ProviderSecret.from_fields(provider_id, fields, source="vault")
        secret.vault_id, secret.vault = provider_id, s
        return secret

    async def read_all(self, only: list[str] | None = None) -> dict[str, ProviderSecret]:
        ids = only if only is not None else await self.list_providers()
        found = await asyncio.gather(*(self.read_provider(i) for i in ids))
        return {i: sec for i, sec in zip(ids, found) if sec is not None}

    async def write_provider(self, provider_id: str, fields: dict[str, Any], merge: bool = True) -> None:
        """Store a provider secret (KV v2 POST data); with merge, fields already there are kept.

        The merge is a check-and-set on the version read, so a field another process wrote in between is never
        reverted: on a lost race the secret is read and merged again."""
        s = self.settings
        url, where = f"/v1/{s.mount}/data/{s.path}/{provider_id}", f"{s.mount}/{s.path}/{provider_id}"
        if not merge:
            await self._request("POST", url, where, {"data": fields})
            return
        for attempt in range(CAS_ATTEMPTS):
            current = ((await self._request("GET", url, where)) or {}).get("data") or {}
            version = (current.get("metadata") or {}).get("version") or 0  # 0: only if it does not exist yet
            merged = {**(current.get("data") or {}), **fields}
            try:
                await self._request("POST", url, where, {"options": {"cas": version}, "data": merged})
                return
            except CasMismatch:
                if attempt == CAS_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(random.uniform(0.02, 0.1) * (attempt + 1))  # apart from the other writers

    async def _request(self, method: str, url: str, where: str,
                       body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        k8s = self.settings.k8s
        if k8s is not None and not self._logged_in:
            await self._login(k8s, None)  # before the first call: the role's token, not VAULT_TOKEN
        resp = await self._send(method, url, body)
        if resp.status_code in (401, 403) and k8s is not None:
            await self._login(k8s, resp.request.headers.get("X-Vault-Token"))  # expired or revoked: once more
            resp = await self._send(method, url, body)
        elif resp.status_code in (401, 403) and self.settings.reread_token():
            self._http.headers["X-Vault-Token"] = self.settings.token  # a Vault Agent renewed its sink file
            resp = await self._send(method, url, body)
        return self._answer(resp, where, body)

    async def _login(self, k8s: K8sAuth, stale: str | None) -> None:
        async with self._login_lock:  # concurrent reads share one login
            if self._logged_in and self._http.headers.get("X-Vault-Token") != stale:
                return
            try:
                token = await k8s.login(self._http, self.settings.addr)
            except VaultError:
                if not self.settings.token or self._logged_in:
                    raise
                token = self.settings.token  # the spec's fallback: Kubernetes auth first, then VAULT_TOKEN
            self._logged_in = True
            self.settings.token = token  # later clients of these settings (write-back) start from it
            self._http.headers["X-Vault-Token"] = token

    async def _send(self, method: str, url: str, body: dict[str, Any] | None) -> httpx.Response:
        addr = self.settings.addr
        for attempt in range(3):
            try:
                resp = await self._http.request(method, url, json=body)
            except httpx.TransportError as exc:
                raise VaultError(f"Vault at {addr} is unreachable ({type(exc).__name__})",
                                 "Check VAULT_ADDR and that the Vault server is running.") from None
            if resp.status_code in (502, 503, 504) and attempt < 2:
                await asyncio.sleep(0.25 * (attempt + 1))
                continue
            break
        return resp

    def _answer(self, resp: httpx.Response, where: str, body: dict[str, Any] | None) -> dict[str, Any] | None:
        addr = self.settings.addr
        verb = "writing" if body else "reading"
        if resp.status_code == 404:
            return None
        if resp.status_code in (401, 403):
            error = VaultError(f"Vault at {addr} rejected the token (HTTP {resp.status_code}) {verb} {where}",
                               "Check VAULT_TOKEN (and VAULT_NAMESPACE); the token needs "
                               f"{'create and update' if body else 'read and list'} on that path.")
        elif resp.status_code >= 400:
            detail = _vault_errors(resp)
            kind = CasMismatch if "check-and-set" in detail else VaultError
            error = kind(f"Vault at {addr} answered HTTP {resp.status_code} {verb} {where}: {detail}")
        else:
            error = None
        if error is not None:
            error.status = resp.status_code
            raise error
        if resp.status_code == 204 or not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise VaultError(f"Vault at {addr} sent a response that is not JSON for {where}") from None


def _vault_errors(resp: httpx.Response) -> str:
    try:
        return "; ".join(resp.json().get("errors", [])) or resp.reason_phrase
    except ValueError:
        return resp.reason_phrase
