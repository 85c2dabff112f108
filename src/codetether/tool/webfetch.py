"""The webfetch tool: GET an http(s) URL with time and size limits; HTML becomes readable markdown."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

MAX_BODY_BYTES = 10 * 1024 * 1024
TIMEOUT_SECS = 30.0
DEFAULT_MAX_CHARS = 50_000
MAX_REDIRECTS = 5
_TEXT_TYPES = ("json", "xml", "javascript", "ecmascript", "yaml", "toml", "csv", "x-sh", "sql", "graphql")

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "description": "http(s) URL"},
        "format": {"type": "string", "enum": ["markdown", "text", "html"], "description": "Default markdown"},
        "max_chars": {"type": "integer", "minimum": 1000, "description": "Default 50000"},
    },
    "required": ["url"],
}


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ToolError(f"'url' {url!r} is not an http(s) URL; give a full address such as https://example.com/page")
    return url


async def must_stay_public(ctx: ToolContext, tool: str, url: str) -> bool:
    """Whether connections must stay public: True unless `url` names a local or private address and the
    [permission] local_network rule (or the user, asked) lets this call through. Shared with the a2a tool."""
    from codetether.sandbox.egress import private_target

    why = await private_target(url)
    if why is None:
        return True
    if ctx.policy is not None:
        await ctx.policy.check_local_network(tool, url, why)
    return False


def _kind(content_type: str, head: bytes) -> str:
    """html, text, or binary: from the Content-Type, sniffing the bytes only when there is none."""
    mime = content_type.split(";")[0].strip().lower()
    if mime in ("text/html", "application/xhtml+xml"):
        return "html"
    if mime.startswith("text/") or any(t in mime for t in _TEXT_TYPES):
        return "text"
    if mime:
        return "binary"
    if b"\0" in head[:4096]:
        return "binary"
    return "html" if b"<html" in head[:4096].lower() else "text"


async def _download(url: str, public_only: bool = True) -> tuple[Any, bytes, bool]:
    """The response (headers only), the body up to MAX_BODY_BYTES, and whether the body was cut there. With
    `public_only`, every connection (redirects included) must reach a public address."""
    import httpx

    from codetether import __version__
    from codetether.net import async_client
    from codetether.sandbox.egress import guarded_transport

    headers = {"User-Agent": f"codetether-agent/{__version__}",
               "Accept": "text/html,application/xhtml+xml,text/plain,application/json;q=0.9,*/*;q=0.5"}
    extra = {"transport": guarded_transport()} if public_only else {}
    try:
        async with async_client(url, timeout=TIMEOUT_SECS, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                                headers=headers, **extra) as client, client.stream("GET", url) as resp:
            if resp.status_code >= 400 or _kind(resp.headers.get("content-type", ""), b"x") == "binary":
                return resp, b"", False  # no need to read an error page or a binary body
            body, capped = bytearray(), False
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    del body[MAX_BODY_BYTES:]
                    capped = True
                    break  # leaving the stream closes the connection; the rest is never read
            return resp, bytes(body), capped
    except httpx.TooManyRedirects:
        raise ToolError(f"{url} redirected more than {MAX_REDIRECTS} times") from None
    except httpx.TimeoutException:
        raise ToolError(f"fetching {url} timed out after {TIMEOUT_SECS:g}s; try again later or another URL") from None
    except httpx.InvalidURL as exc:
        raise ToolError(f"'url' {url!r} is not a valid URL ({exc})") from None
    except httpx.TransportError as exc:
        raise ToolError(f"could not fetch {url}: {type(exc).__name__}: {exc or 'connection failed'}") from None


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    url = _check_url(args["url"])
    fmt = args.get("format") or "markdown"
    max_chars = int(args.get("max_chars") or DEFAULT_MAX_CHARS)
    public_only = await must_stay_public(ctx, "webfetch", url)
    try:
        resp, body, capped = await asyncio.wait_for(_download(url, public_only), TIMEOUT_SECS * 2)
    except TimeoutError:
        raise ToolError(f"fetching {url} took longer than {TIMEOUT_SECS * 2:g}s and was stopped") from None
    final_url = str(resp.url)
    content_type = resp.headers.get("content-type", "")
    if resp.status_code >= 300:
        raise ToolError(f"{final_url} answered HTTP {resp.status_code} {resp.reason_phrase}".rstrip())
    kind = _kind(content_type, body)
    if kind == "binary":
        raise ToolError(f"{final_url} is binary content ({content_type or 'no content type'}); "
                        "webfetch reads HTML, text and JSON only")
    text = body.decode(resp.charset_encoding or "utf-8", "replace")
    if kind == "html" and fmt != "html":
        from codetether.tool.support.html2md import html_to_markdown

        text = await asyncio.to_thread(html_to_markdown, text, final_url, fmt == "text")
    notes = []
    if capped:
        notes.append(f"[body capped at {MAX_BODY_BYTES // (1024 * 1024)} MiB; the rest was not downloaded]")
    total = len(text)
    if total > max_chars:
        text = text[:max_chars]
        notes.append(f"[truncated at {max_chars} of {total} chars; raise 'max_chars' to see more]")
    header = f"{final_url} ({content_type.split(';')[0] or 'unknown type'}, HTTP {resp.status_code})"
    output = "\n\n".join([header, text.strip() or "(empty body)", *notes])
    return ToolResult(output, metadata={"url": final_url, "status": resp.status_code, "content_type": content_type,
                                        "bytes": len(body), "capped": capped, "truncated": total > max_chars})


TOOL = Tool(name="webfetch", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
