"""Google service-account credentials: an RS256-signed JWT is exchanged for an OAuth access token, kept until near expiry."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from codetether.net import async_client
from codetether.provider.b64url import b64url as _b64
from codetether.provider.errors import ProviderAuthError, ProviderProtocolError, ProviderUnavailableError
from codetether.provider.model import CompletionRequest
from codetether.secrets.model import ProviderSecret
from codetether.secrets.redact import remember

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
FIELD = "service_account_json"
TOKEN_LIFETIME = 3600  # the longest assertion Google accepts
REFRESH_MARGIN = 120.0  # mint a new token two minutes early so none expires mid-request


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str  # PEM
    token_uri: str
    project_id: str | None
    private_key_id: str | None


def _fix(provider_id: str) -> str:
    return (f"Store the key file Google gave you: vault kv patch secret/codetether/providers/{provider_id} "
            f"{FIELD}=@service-account.json project_id=<project>")


def service_account(provider_id: str, extra: dict[str, Any]) -> ServiceAccount:
    """The secret's service_account_json (a JSON string or an object), checked field by field."""
    raw = extra.get(FIELD)
    if raw is None or raw == "":
        raise ProviderAuthError(f"provider '{provider_id}' has no {FIELD} in its Vault secret", _fix(provider_id))
    data: Any = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ProviderAuthError(f"provider '{provider_id}': {FIELD} in Vault is not valid JSON "
                                    f"({exc.msg} at line {exc.lineno}, column {exc.colno})", _fix(provider_id)) from None
    if not isinstance(data, dict):
        raise ProviderAuthError(f"provider '{provider_id}': {FIELD} in Vault must be a JSON object, "
                                f"not {type(data).__name__}", _fix(provider_id))
    if data.get("type") not in (None, "service_account"):
        raise ProviderAuthError(f"provider '{provider_id}': {FIELD} in Vault holds '{data.get('type')}' credentials, "
                                "not a service-account key", _fix(provider_id))
    missing = [k for k in ("client_email", "private_key") if not isinstance(data.get(k), str) or not data[k]]
    if missing:
        raise ProviderAuthError(f"provider '{provider_id}': {FIELD} in Vault lacks {' and '.join(missing)}",
                                _fix(provider_id))
    remember(data["private_key"])
    return ServiceAccount(data["client_email"], data["private_key"], str(data.get("token_uri") or DEFAULT_TOKEN_URI),
                          str(data["project_id"]) if data.get("project_id") else None,
                          str(data["private_key_id"]) if data.get("private_key_id") else None)


class GoogleServiceAccountAuth:
    """Adds `Authorization: Bearer <access token>`; the token is minted once and reused until near expiry."""

    credential_name = "the service account's OAuth token"

    def __init__(self, secret: ProviderSecret):
        self.provider_id = secret.provider_id
        self.account = service_account(self.provider_id, secret.extra)
        self._key = self._load_key()
        self.token: str | None = None
        self.expires_at = 0.0
        self.exchanges = 0
        self._lock = asyncio.Lock()
        self._http: httpx.AsyncClient | None = None

    def _load_key(self) -> Any:
        # Imported only here: nothing else needs cryptography, and it costs start-up time.
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            key = load_pem_private_key(self.account.private_key.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ProviderAuthError(f"provider '{self.provider_id}': {FIELD}.private_key in Vault is not a readable "
                                    f"PEM private key ({type(exc).__name__})", _fix(self.provider_id)) from None
        if not isinstance(key, RSAPrivateKey):
            raise ProviderAuthError(f"provider '{self.provider_id}': {FIELD}.private_key in Vault is not an RSA key",
                                    _fix(self.provider_id))
        return key

    def assertion(self, now: float | None = None) -> str:
        """The signed JWT (RS256) that the token endpoint trades for an access token."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        issued = int(time.time() if now is None else now)
        header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
        if self.account.private_key_id:
            header["kid"] = self.account.private_key_id
        claims = {"iss": self.account.client_email, "scope": SCOPE, "aud": self.account.token_uri,
                  "iat": issued, "exp": issued + TOKEN_LIFETIME}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    async def access_token(self) -> str:
        async with self._lock:  # parallel requests (swarm) share one exchange
            if self.token is None or time.time() >= self.expires_at - REFRESH_MARGIN:
                await self._exchange()
            assert self.token is not None
            return self.token

    async def _exchange(self) -> None:
        url = self.account.token_uri
        if self._http is None:
            self._http = async_client(url, timeout=30.0)
        try:
            resp = await self._http.post(url, data={"grant_type": GRANT_TYPE, "assertion": self.assertion()})
        except httpx.TransportError as exc:
            raise ProviderUnavailableError(f"provider '{self.provider_id}': the Google token endpoint {url} "
                                           f"is unreachable ({type(exc).__name__})") from None
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if resp.status_code >= 400 or not isinstance(data, dict) or not data.get("access_token"):
            why = data.get("error_description") or data.get("error") if isinstance(data, dict) else None
            what = ProviderAuthError if resp.status_code in (400, 401, 403) else ProviderUnavailableError
            raise what(f"provider '{self.provider_id}': Google refused the service account "
                       f"{self.account.client_email} (HTTP {resp.status_code}: {why or 'no access_token'})",
                       f"Check {FIELD} in the '{self.provider_id}' Vault secret: the key may be deleted or disabled, "
                       "or the machine's clock may be wrong.")
        self.token = str(data["access_token"])
        remember(self.token)
        try:
            self.expires_at = time.time() + float(data.get("expires_in") or TOKEN_LIFETIME)
        except (TypeError, ValueError, OverflowError):
            self.token = None
            raise ProviderProtocolError(f"provider '{self.provider_id}': the Google token endpoint {url} sent an "
                                        f"expires_in that is not a number of seconds: {str(data['expires_in'])[:40]!r}"
                                        ) from None
        self.exchanges += 1

    def invalidate(self) -> bool:
        """Forget the token after the API rejected it (revoked, clock skew): the next request mints a new one."""
        self.token, self.expires_at = None, 0.0
        return True

    async def prepare(self, url: str, body: bytes, headers: dict[str, str],
                      request: CompletionRequest) -> tuple[str, dict[str, str]]:
        headers["Authorization"] = f"Bearer {await self.access_token()}"
        return url, headers

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
