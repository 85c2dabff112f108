"""A stand-in for DuckDuckGo's HTML endpoint (html.duckduckgo.com/html/) serving result pages in its real format:
the page skeleton, an ad block, organic results with //duckduckgo.com/l/?uddg= redirect links, <b> highlights and
entities, the no-results page and the bot-check page. Records each request. Stdlib only; never imports codetether."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, urlsplit

from tests.harness.http_base import LocalServer

HEAD = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
  <meta http-equiv="content-type" content="text/html; charset=UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=3.0, user-scalable=1" />
  <meta name="referrer" content="origin" />
  <meta name="robots" content="noindex, nofollow" />
  <title>{query} at DuckDuckGo</title>
  <link rel="stylesheet" media="handheld, all" href="//duckduckgo.com/dist/h.cac2e5a4d3a8e4e5e4b2.css" type="text/css"/>
</head>
<body class="body--html">
  <a name="top" id="top"></a>
  <form action="/html/" method="post"><input type="text" name="state_hidden" id="state_hidden" /></form>
  <div>
    <div class="site-wrapper-border"></div>
    <div id="header" class="header cw header--html">
      <a title="DuckDuckGo" href="/html/" class="header__logo-wrap"></a>
      <form name="x" class="header__form" action="/html/" method="post">
        <div class="search search--header">
          <input name="q" autocomplete="off" class="search__input" id="search_form_input_homepage" type="text" value="{query}" />
          <input name="b" id="search_button_homepage" class="search__button search__button--html" value="" title="Search" alt="Search" type="submit" />
        </div>
        <div class="frm__select"><select name="kl"><option value="" >All Regions</option><option value="wt-wt" selected>No region</option></select></div>
        <input type="hidden" name="df" value="" />
      </form>
    </div>
    <!-- Web results are present -->
    <div>
    <div class="serp__results">
    <div id="links" class="results">
"""

AD = """        <div class="result results_links results_links_deep result--ad  highlight_d result--ad--small">
          <div class="links_main links_deep result__body"> <!-- This is the visible part -->
          <h2 class="result__title">
            <a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_domain=ads.example&amp;ad_provider=bingv7aa&amp;ad_type=txad&amp;rut=1a2b">Buy <b>{query}</b> Courses Today</a>
          </h2>
          <div class="result__extras"><div class="result__extras__url">
            <a class="result__url" href="https://duckduckgo.com/y.js?ad_domain=ads.example">ads.example</a>
            <span class="badge--ad">Ad</span>
          </div></div>
          <a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=ads.example">Sponsored result &amp; offers.</a>
          <div class="clear"></div>
          </div>
        </div>
"""

RESULT = """        <div class="result results_links results_links_deep web-result ">
          <div class="links_main links_deep result__body"> <!-- This is the visible part -->
          <h2 class="result__title">
            <a rel="nofollow" class="result__a" href="{href}">{title}</a>
          </h2>
      <div class="result__extras">
        <div class="result__extras__url">
          <span class="result__icon">
            <a rel="nofollow" href="{href}">
              <img class="result__icon__img" width="16" height="16" alt="" src="//external-content.duckduckgo.com/ip3/{host}.ico" name="i15" />
            </a>
          </span>
          <a class="result__url" href="{href}">
                  {display}
          </a>
        </div>
      </div>
              <a class="result__snippet" href="{href}">{snippet}</a>
          <div class="clear"></div>
          </div>
        </div>
"""

NO_RESULTS = """        <div class="result results_links results_links_deep result--no-result">
          <div class="no-results">No  results.</div>
        </div>
"""

TAIL = """        <div class="nav-link">
        <form action="/html/" method="post">
          <input type="submit" class='btn btn--alt' value="Next" />
          <input type="hidden" name="q" value="{query}" />
          <input type="hidden" name="s" value="10" />
          <input type="hidden" name="nextParams" value="" />
          <input type="hidden" name="v" value="l" />
          <input type="hidden" name="o" value="json" />
          <input type="hidden" name="dc" value="11" />
          <input type="hidden" name="api" value="d.js" />
          <input type="hidden" name="vqd" value="4-123456789012345678901234567890" />
        </form>
        </div>
        <div class=" feedback-btn"><a rel="nofollow" href="//duckduckgo.com/feedback.html" target="_new">Feedback</a></div>
        <div class="clear"></div>
    </div>
    </div> <!-- links wrapper //-->
    </div>
  </div>
  <div id="bottom_spacing2"></div>
  <img src="//duckduckgo.com/t/sl_h"/>
</body>
</html>
"""

BOT_CHECK = """<!DOCTYPE html><html><head><title>DuckDuckGo</title></head><body>
<div class="anomaly-modal__mask"><div class="anomaly-modal__modal" data-testid="anomaly-modal">
<div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>
<div class="anomaly-modal__description">Please complete the following challenge to confirm this search was made by a human.</div>
<form id="challenge-form" action="//duckduckgo.com/anomaly.js?sv=html&amp;cc=botnet&amp;ti=1&amp;gk=d4cd" method="POST">
<div class="anomaly-modal__instructions">Select all squares containing a duck:</div>
</form></div></div></body></html>
"""

# (url, title, snippet) as DuckDuckGo writes them: HTML in title and snippet, the url wrapped in its redirect.
DEFAULT_RESULTS = [
    ("https://docs.python.org/3/library/asyncio.html", "asyncio — Asynchronous I/O — <b>Python</b> 3.12 documentation",
     "<b>asyncio</b> is a library to write concurrent code using the async/await syntax. It is used as a "
     "foundation for multiple <b>Python</b> asynchronous frameworks &amp; libraries."),
    ("https://realpython.com/async-io-python/?utm=a&b=c", "Async IO in <b>Python</b>: A Complete Walkthrough",
     "This tutorial shows you how to use <b>async</b> IO &#x27;the easy way&#x27;."),
    ("https://stackoverflow.com/questions/37278647/fire-and-forget", "<b>python</b> - Fire and forget <b>asyncio</b>",
     "Use <code>asyncio.create_task</code> and keep a reference &lt;task&gt; to it."),
    ("https://peps.python.org/pep-3156/", "PEP 3156 – Asynchronous IO Support Rebooted", "The <b>asyncio</b> module."),
]


def redirect(url: str) -> str:
    return f"//duckduckgo.com/l/?uddg={quote(url, safe='')}&amp;rut=5f0c4e8d1a7b"


def results_page(query: str, results: list[tuple[str, str, str]], *, ad: bool = True) -> str:
    q = escape(query)
    body = [HEAD.format(query=q), AD.format(query=q) if ad else ""]
    for url, title, snippet in results:
        host = urlsplit(url).hostname or ""
        body.append(RESULT.format(href=redirect(url), title=title, snippet=snippet, host=host,
                                  display=url.split("://", 1)[1]))
    if not results:
        body.append(NO_RESULTS)
    return "".join(body) + TAIL.format(query=q)


@dataclass
class DdgServer(LocalServer):
    """`mode`: results | empty | bot_check | layout (a page without result blocks)."""

    mode: str = "results"
    results: list[tuple[str, str, str]] = field(default_factory=lambda: list(DEFAULT_RESULTS))
    requests: list[dict] = field(default_factory=list)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = parse_qs(handler.rfile.read(length).decode()) if length else {}
        parts = urlsplit(handler.path)
        fields = {**parse_qs(parts.query), **form}
        self.requests.append({"method": handler.command, "path": parts.path, "form": fields,
                              "headers": {k.lower(): v for k, v in handler.headers.items()}})
        if parts.path not in ("/html/", "/html"):
            return self._send(handler, 404, "<html><body>Not found</body></html>")
        query = (fields.get("q") or [""])[0]
        page = {"results": lambda: results_page(query, self.results),
                "empty": lambda: results_page(query, []),
                "bot_check": lambda: BOT_CHECK,
                "layout": lambda: "<html><body><div class='serp'>new layout</div></body></html>"}[self.mode]()
        self._send(handler, 202 if self.mode == "bot_check" else 200, page)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, page: str) -> None:
        data = page.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
