"""Where a provider's requests go: the secret's base_url, else the catalog row's with its region filled in."""

from __future__ import annotations

from codetether.provider.catalog import ProviderSpec, is_copilot, is_vertex


def base_url_for(spec: ProviderSpec, base_url: str | None, extra: dict[str, object]) -> str | None:
    """The secret's base_url wins; else the row's, with the region filled in, or one derived from enterpriseUrl."""
    if is_vertex(spec.id):
        from codetether.provider.vertex import location_base

        return location_base(spec.id, base_url, extra)
    if base_url:
        return base_url
    enterprise = extra.get("enterpriseUrl") or extra.get("enterprise_url")
    if is_copilot(spec.id) and enterprise:
        domain = str(enterprise).removeprefix("https://").removeprefix("http://").strip("/")
        return f"https://copilot-api.{domain}"
    if spec.base_url and "{region}" in spec.base_url:
        return spec.base_url.replace("{region}", str(extra.get("region") or "us-east-1"))
    return spec.base_url
