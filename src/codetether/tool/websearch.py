"""The websearch tool: web results from DuckDuckGo with no set-up, or the backend chosen in [websearch]
(SearXNG, Brave or Tavily)."""

from __future__ import annotations

import html
import re
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.duckduckgo import Hit

TIMEOUT_SECS = 20.0
BRAVE_URL = "https://api.search.brave.com/res/v1"
TAVILY_URL = "https://api.tavily.com"
SETUP = ("Configure one in the config file (`codetether config --path`): [websearch] backend = \"searxng\" with "
         "searxng_url = \"https://searx.example.org\"; or backend = \"brave\" / \"tavily\" with the API key in "
         "Vault: `codetether auth login brave` (or tavily)")
DEFAULT_BACKEND = "duckduckgo"

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "Search terms"},
        "max_results": {"type": "integer", "minimum": 1, "maximum": 20, "description": "Default 5"},
    },
    "required": ["query"],
}


def _clean(text: Any) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", str(text or ""))).strip()


async def _request(method: str, url: str, what: str, **kwargs: Any) -> Any:
    """The answer's JSON; every way the request can fail becomes a ToolError naming the service."""
    resp = await _send(method, url, what, **kwargs)
    try:
        return resp.json()
    except ValueError:
        raise ToolError(f"{what} did not answer with JSON (for SearXNG, enable the json format in its "
                        "settings.yml: search.formats)") from None


async def _send(method: str, url: str, what: str, **kwargs: Any) -> Any:
    import httpx

    from codetether.net import async_client

    try:
        async with async_client(url, timeout=TIMEOUT_SECS) as client:
            resp = await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise ToolError(f"{what} did not answer within {TIMEOUT_SECS:g}s") from None
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise ToolError(f"{what} at {url} is unreachable ({type(exc).__name__})") from None
    if resp.status_code in (401, 403):
        raise ToolError(f"{what} rejected the request (HTTP {resp.status_code}); check its API key or access rules")
    if resp.status_code >= 400:
        raise ToolError(f"{what} answered HTTP {resp.status_code} {resp.reason_phrase}")
    return resp


async def _api_key(service: str) -> tuple[str, str | None]:
    """The service's key (and optional base_url) from the Vault secret named after it."""
    from codetether.secrets.vault import VaultClient, VaultError, VaultSettings

    try:
        settings = VaultSettings.from_env()
    except VaultError as exc:
        raise ToolError(exc.render().removeprefix("error: ")) from None
    if settings is None:
        raise ToolError(f"the {service} backend needs its API key from Vault, and VAULT_ADDR is not set. {SETUP}")
    try:
        async with VaultClient(settings) as vault:
            secret = await vault.read_provider(service)
    except VaultError as exc:
        raise ToolError(exc.render().removeprefix("error: ")) from None
    if secret is None or not secret.api_key:
        raise ToolError(f"Vault has no api_key for '{service}' at {settings.mount}/{settings.path}/{service}. {SETUP}")
    return secret.api_key, secret.base_url


async def duckduckgo(base: str, query: str, count: int) -> list[Hit]:
    """Its HTML endpoint, as a browser's form posts it; a bot check or an unknown layout is a clear error."""
    from codetether.tool.support.duckduckgo import DEFAULT_URL, USER_AGENT, PageProblem, parse_page

    base = (base or DEFAULT_URL).rstrip("/")
    resp = await _send("POST", base + "/html/", "DuckDuckGo", data={"q": query, "b": "", "kl": "wt-wt"},
                       headers={"User-Agent": USER_AGENT, "Referer": base + "/"})
    try:
        hits = parse_page(resp.text)
    except PageProblem as problem:
        raise ToolError(f"{problem}. Try again in a minute, or use a search backend with an API: {SETUP}") from None
    return hits[:count]


async def searxng(base: str, query: str, count: int) -> list[Hit]:
    if not base:
        raise ToolError(f"[websearch] backend is searxng but searxng_url is empty. {SETUP}")
    data = await _request("GET", base.rstrip("/") + "/search", "SearXNG", params={"q": query, "format": "json"})
    return [Hit(_clean(r.get("title")), str(r.get("url", "")), _clean(r.get("content")))
            for r in (data.get("results") or [])[:count] if isinstance(r, dict)]


async def brave(query: str, count: int) -> list[Hit]:
    key, base = await _api_key("brave")
    data = await _request("GET", (base or BRAVE_URL).rstrip("/") + "/web/search", "Brave Search",
                          params={"q": query, "count": count},
                          headers={"X-Subscription-Token": key, "Accept": "application/json"})
    results = ((data.get("web") or {}).get("results") or [])[:count]
    return [Hit(_clean(r.get("title")), str(r.get("url", "")), _clean(r.get("description")))
            for r in results if isinstance(r, dict)]


async def tavily(query: str, count: int) -> list[Hit]:
    key, base = await _api_key("tavily")
    data = await _request("POST", (base or TAVILY_URL).rstrip("/") + "/search", "Tavily",
                          json={"query": query, "max_results": count}, headers={"Authorization": f"Bearer {key}"})
    return [Hit(_clean(r.get("title")), str(r.get("url", "")), _clean(r.get("content")))
            for r in (data.get("results") or [])[:count] if isinstance(r, dict)]


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    query = args["query"].strip()
    if not query:
        raise ToolError("'query' is empty; give the search terms")
    count = int(args.get("max_results") or 5)
    config = ctx.config
    if config is None:
        from codetether.config.load import load

        config = load()
    backend = config.get("websearch.backend") or DEFAULT_BACKEND
    if backend == "off":
        raise ToolError("web search is turned off ([websearch] backend = \"off\" in the config)")
    if backend == "duckduckgo":
        hits = await duckduckgo(config.get("websearch.duckduckgo_url"), query, count)
    elif backend == "searxng":
        hits = await searxng(config.get("websearch.searxng_url"), query, count)
    elif backend == "brave":
        hits = await brave(query, count)
    else:  # the config allows nothing else
        hits = await tavily(query, count)
    if not hits:
        return ToolResult(f"no results for {query!r}", metadata={"backend": backend, "results": 0})
    lines = []
    for n, hit in enumerate(hits, 1):
        snippet = hit.snippet if len(hit.snippet) <= 400 else hit.snippet[:400] + "…"
        lines.append(f"{n}. {hit.title or '(untitled)'}\n   {hit.url}" + (f"\n   {snippet}" if snippet else ""))
    return ToolResult("\n".join(lines), metadata={"backend": backend, "results": len(hits)})


TOOL = Tool(name="websearch", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
