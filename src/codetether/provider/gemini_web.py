"""gemini-web: the Gemini web app's own chat endpoint (BardChatUi), signed in with browser cookies from Vault."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from codetether.config.env import step_timeout
from codetether.net import async_client
from codetether.provider.catalog import ProviderSpec
from codetether.provider.errors import (
    ProviderAuthError,
    ProviderProtocolError,
    ProviderRequestError,
    ProviderUnavailableError,
)
from codetether.provider.gemini_wire import (
    AUTH_COOKIE,
    MODEL_HEADER,
    MODES,
    STREAM_PATH,
    error_code,
    event_text,
    f_req,
    model_header,
    page_tokens,
    split_frames,
)
from codetether.provider.model import CompletionRequest, CompletionResponse, DeltaCallback, TextDelta, Usage
from codetether.provider.text_tools import VisibleText, parse_reply, render_transcript
from codetether.secrets.cookies import CookieError, parse_cookies
from codetether.secrets.model import ProviderSecret
from codetether.secrets.redact import redact, remember

TOKEN_TTL = 20 * 60  # the page's `at` token outlives this; re-reading it now and then keeps it fresh
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
FRESH_COOKIES = ("Sign in to gemini.google.com in a browser, export its cookies (Netscape cookies.txt) and run: "
                 "codetether auth cookies --provider gemini-web --file cookies.txt")


class _Stale(Exception):
    """The app refused the request in a way fresh page tokens may fix; `error` is raised if they do not."""

    def __init__(self, error: Exception):
        self.error = error


class GeminiWebProvider:
    """One prompt per request (the whole transcript, tools described as text); no conversation state is kept."""

    def __init__(self, spec: ProviderSpec, secret: ProviderSecret, *, max_attempts: int | None = None):
        self.spec, self.secret, self.id = spec, secret, secret.provider_id
        self.base_url = (secret.base_url or spec.base_url or "").rstrip("/")
        # A jar, not a Cookie header: httpx drops that header on redirects (/app -> /u/1/app), and the jar also
        # takes the cookies the site rotates (__Secure-1PSIDTS) via Set-Cookie.
        self._http = async_client(self.base_url, timeout=httpx.Timeout(step_timeout(), connect=10.0),
                                  follow_redirects=True, headers={"User-Agent": USER_AGENT},
                                  cookies=_jar(_cookies(secret), self.base_url))
        self._tokens: dict[str, str] | None = None
        self._fetched = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    def add_response_hook(self, hook: Callable[[httpx.Response], Awaitable[None]]) -> None:
        self._http.event_hooks["response"].append(hook)

    async def list_models(self) -> list[str]:
        return list(MODES)

    async def complete(self, request: CompletionRequest, on_delta: DeltaCallback | None = None) -> CompletionResponse:
        if request.model not in MODES:
            raise ProviderRequestError(f"provider '{self.id}' has no model '{request.model}'",
                                       f"Use one of: {', '.join(f'{self.id}/{m}' for m in MODES)}.")
        prompt = render_transcript(request.messages, request.tools)
        visible = VisibleText()
        for attempt in (1, 2):
            tokens = await self._session(refresh=attempt > 1)
            try:
                text = await self._ask(prompt, request.model, tokens, visible, on_delta if request.stream else None)
                break
            except _Stale as stale:
                if attempt == 2 or visible.shown:
                    raise stale.error from None
        parsed = parse_reply(text, [t.name for t in request.tools])
        if on_delta and request.stream and (rest := visible.finish(parsed.text)):
            on_delta(TextDelta(rest))
        # The web app reports no token counts: estimate (4 chars a token) so context accounting still moves.
        usage = Usage(prompt_tokens=len(prompt) // 4, completion_tokens=len(text) // 4)
        return CompletionResponse(parsed.message(), usage, parsed.finish_reason, parsed.repairs)

    async def _session(self, refresh: bool) -> dict[str, str]:
        """The page tokens, read from {base}/app with the cookies and cached for TOKEN_TTL."""
        async with self._lock:
            if self._tokens and not refresh and time.monotonic() - self._fetched < TOKEN_TTL:
                return self._tokens
            url = f"{self.base_url}/app"
            try:
                resp = await self._http.get(url)
            except httpx.TransportError as exc:
                raise ProviderUnavailableError(f"provider '{self.id}' is unreachable at {url} "
                                               f"({type(exc).__name__})") from None
            if resp.status_code >= 400:
                raise ProviderUnavailableError(f"provider '{self.id}': the Gemini app page answered HTTP "
                                               f"{resp.status_code}")
            tokens = page_tokens(resp.text)
            if "at" not in tokens:
                raise ProviderAuthError(f"provider '{self.id}': the Gemini app page has no session token, so the "
                                        "cookies are expired or signed out", FRESH_COOKIES)
            remember(tokens["at"])
            account = re.search(r"(/u/\d+)/", resp.url.path)  # a second signed-in account lives under /u/N/
            tokens["prefix"] = account.group(1) if account else ""
            self._tokens, self._fetched = tokens, time.monotonic()
            return tokens

    async def _ask(self, prompt: str, model: str, tokens: dict[str, str], visible: VisibleText,
                   on_delta: DeltaCallback | None) -> str:
        url = f"{self.base_url}{tokens['prefix']}{STREAM_PATH}"
        params = {"bl": tokens.get("bl", ""), "f.sid": tokens.get("f_sid", ""), "hl": "en",
                  "_reqid": str(int(time.time() * 1000) % 900_000 + 100_000), "rt": "c"}
        headers = {"X-Same-Domain": "1", "Origin": self.base_url,
                   "Referer": f"{self.base_url}/", MODEL_HEADER: model_header(model),
                   "Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        text, codes, buffer = "", [], ""
        try:
            async with self._http.stream("POST", url, params=params, headers=headers,
                                         data={"f.req": f_req(prompt), "at": tokens["at"]}) as resp:
                if resp.status_code >= 400:
                    raise _Stale(self._status_error(resp.status_code, (await resp.aread()).decode(errors="replace")))
                async for chunk in resp.aiter_text():
                    events, buffer = split_frames(buffer + chunk)
                    for event in events:
                        codes += [c for c in [error_code(event)] if c is not None]
                        latest = event_text(event)
                        if latest:  # cumulative: each frame holds the whole answer so far
                            text = latest
                            if on_delta and (piece := visible.delta(text)):
                                on_delta(TextDelta(piece))
        except httpx.TransportError as exc:
            raise _Stale(ProviderUnavailableError(f"provider '{self.id}': {type(exc).__name__} while "
                                                  f"streaming from {url}")) from None
        except ValueError as exc:
            raise ProviderProtocolError(f"provider '{self.id}' sent a frame that is not JSON ({exc})") from None
        if not text:
            raise _Stale(self._empty_error(codes))
        return text

    def _status_error(self, status: int, body: str) -> Exception:
        if status in (400, 401, 403):
            return ProviderAuthError(f"provider '{self.id}' refused the request (HTTP {status}): the cookies are "
                                     "expired or the session token is no longer valid", FRESH_COOKIES)
        if status == 429 or status >= 500:
            return ProviderUnavailableError(f"provider '{self.id}' is busy or failing (HTTP {status})",
                                            "Try again later, or pick another model with --model.")
        return ProviderRequestError(f"provider '{self.id}' refused the request (HTTP {status}): "
                                    f"{redact(body.strip())[:200] or '(empty body)'}")

    def _empty_error(self, codes: list[int]) -> Exception:
        if codes:
            hint = ("Code 469 usually means this account cannot use the chosen model right now: try "
                    "gemini-web/gemini-web-fast or gemini-web/gemini-web-thinking." if 469 in codes else None)
            return ProviderRequestError(f"provider '{self.id}' answered with protocol error code {codes[-1]} and no "
                                        "text", hint)
        return ProviderProtocolError(f"provider '{self.id}' answered without any reply text")


def _cookies(secret: ProviderSecret) -> list[dict[str, str]]:
    raw: Any = secret.extra.get("cookies")
    where = f"the '{secret.provider_id}' secret's cookies field"
    if not raw:
        raise ProviderAuthError(f"provider '{secret.provider_id}' has no cookies in Vault", FRESH_COOKIES)
    try:
        cookies = parse_cookies(raw)
    except CookieError as exc:
        raise ProviderAuthError(f"{where} could not be read: {exc}", FRESH_COOKIES) from None
    # The values are already scrubbed from output: ProviderSecret remembers a cookies field's values.
    if not any(c["name"] == AUTH_COOKIE and c["value"] for c in cookies):
        raise ProviderAuthError(f"{where} has no {AUTH_COOKIE} cookie (found: "
                                f"{', '.join(sorted({c['name'] for c in cookies})) or 'none'})", FRESH_COOKIES)
    return cookies


def _jar(cookies: list[dict[str, str]], base_url: str) -> httpx.Cookies:
    """The cookies scoped to the app's site: .google.com for the real one, else the base URL's own host."""
    host = (httpx.URL(base_url).host or "").lower()
    google = host == "google.com" or host.endswith(".google.com")
    jar = httpx.Cookies()
    for cookie in cookies:
        domain = cookie.get("domain", "").lstrip(".").lower()
        if google and domain and domain != "google.com" and not domain.endswith(".google.com"):
            continue  # another site's cookie in a full export (--keep-all): not sent to Google
        jar.set(cookie["name"], cookie["value"], domain=".google.com" if google else host, path="/")
    return jar
