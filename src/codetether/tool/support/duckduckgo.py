"""websearch's default backend: DuckDuckGo's HTML endpoint (no key, no set-up), as the upstream tool uses it."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

DEFAULT_URL = "https://html.duckduckgo.com"
# Its HTML page is for browsers; a plain client name gets the bot check far more often.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
_BOT_CHECK = ("anomaly-modal", 'id="challenge-form"', "bots use DuckDuckGo too")


class Hit(NamedTuple):
    title: str
    url: str
    snippet: str


class PageProblem(Exception):
    """The page holds no results we can read: a bot check, or a layout we do not know."""


class _Results(HTMLParser):
    """Collects `div.result` blocks: the `a.result__a` title and link and the `.result__snippet` text; ads
    (`result--ad`) are skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hits: list[Hit] = []
        self.no_results = False
        self._divs: list[bool] = []  # one entry per open div: does it open a result block?
        self._result: dict[str, str] | None = None
        self._ad = False
        self._field: str | None = None  # "title" | "snippet" while inside one
        self._field_end: tuple[str, int] | None = None  # the tag (and div depth) that closes it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div":
            opens = "result" in classes and self._result is None
            self._divs.append(opens)
            if "no-results" in classes or "result--no-result" in classes:
                self.no_results = True
            elif opens:
                self._result, self._ad = {"title": "", "url": "", "snippet": ""}, "result--ad" in classes
        if self._result is None or self._field is not None:
            return
        if tag == "a" and "result__a" in classes:
            self._result["url"] = dict(attrs).get("href") or ""
            self._field, self._field_end = "title", ("a", len(self._divs))
        elif "result__snippet" in classes:
            self._field, self._field_end = "snippet", (tag, len(self._divs) - (tag == "div"))

    def handle_endtag(self, tag: str) -> None:
        if self._field_end is not None and tag == self._field_end[0] and \
                (tag != "div" or len(self._divs) - 1 == self._field_end[1]):
            self._field = self._field_end = None
        if tag != "div" or not self._divs:
            return
        if self._divs.pop() and self._result is not None:
            result, self._result = self._result, None
            if not self._ad and result["url"] and result["title"].strip():
                self.hits.append(Hit(" ".join(result["title"].split()), target_url(result["url"]),
                                     " ".join(result["snippet"].split())))

    def handle_data(self, data: str) -> None:
        if self._field is not None and self._result is not None:
            self._result[self._field] += data


def target_url(href: str) -> str:
    """The result's own address: DuckDuckGo wraps links as //duckduckgo.com/l/?uddg=<url>&rut=…"""
    href = html.unescape(href)
    if href.startswith("//"):
        href = "https:" + href
    parts = urlsplit(href)
    if parts.path == "/l/" and "uddg" in (query := parse_qs(parts.query)):
        return query["uddg"][0]
    return href


def parse_page(page: str) -> list[Hit]:
    """Results from a DuckDuckGo HTML page, ads dropped; PageProblem when the page holds none we can read."""
    parser = _Results()
    parser.feed(page)
    parser.close()
    hits = [h for h in parser.hits if "duckduckgo.com/y.js" not in h.url]
    if hits or parser.no_results:
        return hits
    if any(marker in page for marker in _BOT_CHECK):
        raise PageProblem("DuckDuckGo answered with its bot check (a CAPTCHA page) instead of results")
    raise PageProblem("DuckDuckGo's page held no results in the layout codetether reads (it may have changed)")
