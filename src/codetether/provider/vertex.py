"""Google Vertex AI: where a project's models live, and Claude's rawPredict dialect (the Anthropic body, Vertex-style).

GLM and the other Model-as-a-Service models speak plain OpenAI chat completions under `.../endpoints/openapi`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from codetether.provider import anthropic
from codetether.provider.anthropic import StreamAssembler, parse_response
from codetether.provider.catalog import ProviderSpec
from codetether.provider.dialect import Dialect
from codetether.provider.errors import ProviderAuthError
from codetether.provider.model import CompletionRequest
from codetether.secrets.model import ProviderSecret

__all__ = ["DIALECT", "StreamAssembler", "build_body", "endpoint", "headers", "location_base", "parse_response", "request_url"]

ANTHROPIC_VERSION = "vertex-2023-10-16"
DEFAULT_REGION = "global"  # GLM is served only there; Claude 4 models too


def api_root(region: str) -> str:
    # The global location has no regional host prefix.
    return "https://aiplatform.googleapis.com" if region == "global" else f"https://{region}-aiplatform.googleapis.com"


def location_base(provider_id: str, base_url: str | None, extra: dict[str, Any]) -> str:
    """`{root}/v1/projects/P/locations/R`, plus `/endpoints/openapi` for the OpenAI-compatible MaaS models.

    A secret's base_url replaces the host (a proxy, a private endpoint); one that already names `/projects/` is
    taken whole.
    """
    region = str(extra.get("region") or extra.get("location") or DEFAULT_REGION).strip()
    suffix = "/endpoints/openapi" if provider_id == "vertex-glm" else ""
    if base_url and "/projects/" in base_url:
        return base_url.rstrip("/")
    project = _project(provider_id, extra)
    root = (base_url or api_root(region)).rstrip("/")
    return f"{root}/v1/projects/{quote(project, safe='')}/locations/{quote(region, safe='')}{suffix}"


def _project(provider_id: str, extra: dict[str, Any]) -> str:
    project = extra.get("project_id") or extra.get("projectId")
    if not project:
        from codetether.provider.google_auth import FIELD, service_account

        if extra.get(FIELD):
            project = service_account(provider_id, extra).project_id
    if not project:
        raise ProviderAuthError(f"provider '{provider_id}' has no project_id in its Vault secret "
                                "(nor a service_account_json naming one)",
                                f"Store both: vault kv patch secret/codetether/providers/{provider_id} "
                                "service_account_json=@service-account.json project_id=<project>")
    return str(project)


def endpoint(base_url: str, secret: ProviderSecret | None = None) -> str:
    return base_url.rstrip("/")


def request_url(base: str, request: CompletionRequest) -> str:
    # Claude model ids carry a version after '@' (claude-sonnet-4@20250514); it stays literal in the path.
    verb = "streamRawPredict" if request.stream else "rawPredict"
    return f"{base}/publishers/anthropic/models/{quote(request.model, safe='@')}:{verb}"


def headers(secret: ProviderSecret, base_url: str = "") -> dict[str, str]:
    # With a service account the OAuth token is added per request (google_auth); an api_key is a ready token.
    return {"Authorization": f"Bearer {secret.api_key}"} if secret.api_key else {}


def build_body(request: CompletionRequest, spec: ProviderSpec) -> dict[str, Any]:
    """The Anthropic Messages body; the model travels in the URL and the API version in the body."""
    body = anthropic.build_body(request, spec)
    body.pop("model", None)
    return {"anthropic_version": ANTHROPIC_VERSION, **body}


DIALECT = Dialect("vertex-anthropic", endpoint, headers, build_body, parse_response, StreamAssembler,
                  request_url=request_url)
