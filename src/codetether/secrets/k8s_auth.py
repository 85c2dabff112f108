"""Vault's Kubernetes auth (spec §4): with VAULT_ROLE set, log in with the pod's service-account token."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from codetether.secrets.redact import remember

DEFAULT_JWT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"


@dataclass(frozen=True)
class K8sAuth:
    role: str
    mount: str = "kubernetes"
    jwt_path: str = DEFAULT_JWT_PATH

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str]) -> K8sAuth | None:
        role = env.get("VAULT_ROLE", "").strip()
        if not role:
            return None
        return cls(role, env.get("VAULT_AUTH_MOUNT", "").strip("/ ") or "kubernetes",
                   env.get("VAULT_K8S_SA_JWT_PATH", "").strip() or DEFAULT_JWT_PATH)

    async def login(self, http: httpx.AsyncClient, addr: str) -> str:
        """A fresh Vault token; the JWT is re-read each time (projected service-account tokens rotate)."""
        from codetether.secrets.vault import VaultError

        try:
            jwt = Path(self.jwt_path).read_text().strip()
        except OSError as exc:
            raise VaultError(f"VAULT_ROLE is set but the service-account token {self.jwt_path} cannot be read "
                             f"({exc.strerror})", "Run in a pod with its service-account token mounted, set "
                             "VAULT_K8S_SA_JWT_PATH, or unset VAULT_ROLE and use VAULT_TOKEN.") from None
        where = f"auth/{self.mount}/login"
        try:
            resp = await http.post(f"/v1/{where}", json={"role": self.role, "jwt": jwt},
                                   headers={"X-Vault-Token": ""})
        except httpx.TransportError as exc:
            raise VaultError(f"Vault at {addr} is unreachable ({type(exc).__name__})",
                             "Check VAULT_ADDR and that the Vault server is running.") from None
        try:
            body = resp.json()
        except ValueError:
            body = {}
        token = ((body.get("auth") or {}).get("client_token") or "") if isinstance(body, dict) else ""
        if resp.status_code >= 400 or not token:
            errors = "; ".join(body.get("errors") or []) if isinstance(body, dict) else ""
            raise VaultError(f"Vault at {addr} refused the Kubernetes login as role '{self.role}' at {where} "
                             f"(HTTP {resp.status_code}){': ' + errors if errors else ''}",
                             "Check VAULT_ROLE and VAULT_AUTH_MOUNT, and that the role binds this pod's service "
                             "account and namespace.")
        remember(token)
        return token
