"""Credentials made per request: SigV4 for Bedrock, exchanged session tokens for Copilot, OAuth tokens for Vertex."""

from __future__ import annotations

from typing import Protocol

from codetether.provider.catalog import ProviderSpec, is_chatgpt_oauth, is_copilot, is_vertex
from codetether.provider.errors import ProviderAuthError
from codetether.provider.model import CompletionRequest
from codetether.secrets.model import ProviderSecret


class RequestAuth(Protocol):
    credential_name: str  # what a 401/403 says was rejected ("the AWS credentials")

    async def prepare(self, url: str, body: bytes, headers: dict[str, str],
                      request: CompletionRequest) -> tuple[str, dict[str, str]]: ...

    async def aclose(self) -> None: ...


def make_auth(spec: ProviderSpec, secret: ProviderSecret, base_url: str) -> RequestAuth | None:
    """None when the secret's static headers are all a request needs."""
    if is_chatgpt_oauth(spec.id, secret.extra):
        from codetether.provider.codex_auth import CodexAuth

        return CodexAuth(secret)
    if is_copilot(spec.id):
        from codetether.provider.copilot import CopilotAuth

        return CopilotAuth(secret, base_url, explicit_base=bool(secret.base_url))
    if is_vertex(spec.id) and (secret.extra.get("service_account_json") or not secret.api_key):
        from codetether.provider.google_auth import GoogleServiceAccountAuth

        return GoogleServiceAccountAuth(secret)  # an api_key alone is a ready OAuth token (vertex.headers)
    if spec.dialect != "bedrock" or secret.api_key:
        return None  # a Bedrock API key is a plain bearer token (bedrock.headers)
    key_id, key = secret.field("aws_access_key_id"), secret.field("aws_secret_access_key")
    if not (key_id and key):
        raise ProviderAuthError(
            f"provider '{secret.provider_id}' has neither api_key nor aws_access_key_id + aws_secret_access_key",
            f"Store a Bedrock API key (vault kv patch .../{secret.provider_id} api_key=...) or AWS credentials "
            f"(aws_access_key_id=... aws_secret_access_key=... region=us-east-1).")
    from codetether.provider.sigv4 import SigV4Auth

    return SigV4Auth(key_id, key, secret.field("aws_session_token"), secret.field("region", "us-east-1") or "")
