"""What a provider secret holds; its repr never shows the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codetether.secrets.redact import remember

if TYPE_CHECKING:
    from codetether.secrets.vault import VaultSettings

KNOWN_FIELDS = ("api_key", "base_url", "organization", "headers")
# Extra fields that are credentials (Bedrock SigV4, OAuth tokens): scrubbed like the api_key.
SENSITIVE_EXTRA = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "access_token",
                   "refresh_token", "id_token", "oauth_token", "copilot_token")


@dataclass(repr=False)
class ProviderSecret:
    provider_id: str
    api_key: str | None = None
    base_url: str | None = None
    organization: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = "vault"
    # Where it was read from, so refreshed tokens can be written back to the same secret (secrets.writeback).
    vault_id: str | None = None
    vault: VaultSettings | None = None

    def __post_init__(self) -> None:
        remember(self.api_key)
        for value in self.headers.values():
            remember(value)
        for name in SENSITIVE_EXTRA:
            if isinstance(self.extra.get(name), str):
                remember(self.extra[name])
        _remember_embedded(self.extra)

    def field(self, name: str, default: str | None = None) -> str | None:
        """An extra field as text (a number typed into Vault still counts), or the default."""
        return _text(self.extra.get(name)) or default

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return f"ProviderSecret({self.provider_id!r}, api_key=<{key}>, base_url={self.base_url!r}, source={self.source})"

    @classmethod
    def from_fields(cls, provider_id: str, data: dict[str, Any], source: str) -> ProviderSecret:
        headers = data.get("headers") or {}
        if isinstance(headers, str):  # `vault kv put ... headers='{"a":"b"}'` stores a string
            import json

            try:
                headers = json.loads(headers)
            except ValueError:
                headers = {}
        if not isinstance(headers, dict):
            headers = {}
        return cls(
            provider_id=provider_id,
            api_key=_text(data.get("api_key")),
            base_url=_text(data.get("base_url")),
            organization=_text(data.get("organization")),
            headers={str(k): str(v) for k, v in headers.items()},
            extra={k: v for k, v in data.items() if k not in KNOWN_FIELDS},
            source=source,
        )


def _text(value: Any) -> str | None:
    """Secret fields are strings; a number typed into Vault (api_key=12345678) still works as one."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _remember_embedded(extra: dict[str, Any]) -> None:
    """Secrets inside structured fields: a service account's private key, browser cookie values."""
    import json

    def parsed(value: Any) -> Any:
        if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError:
                remember(value)
        return value

    account = parsed(extra.get("service_account_json"))
    if isinstance(account, dict):
        remember(_text(account.get("private_key")))
        remember(_text(account.get("private_key_id")))
    if extra.get("cookies"):  # only then: this module is on every run's start path
        from codetether.secrets.cookies import CookieError, parse_cookies

        try:
            for cookie in parse_cookies(extra["cookies"]):
                remember(cookie["value"])
        except CookieError:  # unreadable (it fails later, naming the field): hide all of it meanwhile
            remember(_text(extra["cookies"]))
