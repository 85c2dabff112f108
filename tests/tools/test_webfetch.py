"""webfetch against a real local HTTP server: readable markdown, errors, the body cap."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from codetether.tool import webfetch
from codetether.tool.base import ToolContext
from tests.tools.conftest import call

ARTICLE = """<!doctype html><html><head><title>Release notes</title><script>var tracking = 1;</script>
<style>.x { color: red }</style></head><body>
<header class="site-header"><a href="/">SiteLogo</a> <a href="/pricing">PricingLink</a></header>
<nav><ul><li><a href="/docs">NavDocs</a></li><li><a href="/blog">NavBlog</a></li></ul></nav>
<div id="layout"><aside class="sidebar"><h3>SidebarPopular</h3><ul><li>SidebarItem</li></ul></aside>
<main><article>
<h1>Version 2.0 is out</h1>
<p>This release adds <strong>streaming</strong> and a <a href="/docs/streaming">new guide</a>.</p>
<h2>Upgrading</h2>
<ol><li>Install it</li><li>Run <code>migrate</code></li></ol>
<pre><code class="language-bash">pip install thing==2.0
thing migrate --all
</code></pre>
<div class="share-buttons">ShareOnSocial</div>
</article></main></div>
<form action="/subscribe"><input name="email"><button>SubscribeButton</button></form>
<footer>FooterCopyright 2024</footer>
</body></html>"""

BIG = 11 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/article":
            self._send(200, "text/html; charset=utf-8", ARTICLE.encode())
        elif self.path == "/data.json":
            self._send(200, "application/json", b'{"name": "codetether", "tools": 27}')
        elif self.path == "/image.png":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/article")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            line = b"x" * 1023 + b"\n"
            try:
                for _ in range(BIG // 1024):
                    self.wfile.write(line)
            except OSError:
                pass  # the client stopped reading at its cap
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, "text/plain", b"late")
        else:
            self._send(404, "text/html", b"<h1>Not here</h1>")


@pytest.fixture
def site(isolated_env) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_article_becomes_markdown_without_navigation_chrome(site, ctx: ToolContext):
    result = call("webfetch", {"url": f"{site}/article"}, ctx)
    assert result.success, result.output
    out = result.output
    assert "# Version 2.0 is out" in out and "## Upgrading" in out
    assert "**streaming**" in out and f"[new guide]({site}/docs/streaming)" in out
    assert "1. Install it" in out and "2. Run `migrate`" in out
    assert "```bash\npip install thing==2.0\nthing migrate --all\n```" in out
    for chrome in ("SiteLogo", "PricingLink", "NavDocs", "NavBlog", "SidebarPopular", "SidebarItem",
                   "ShareOnSocial", "SubscribeButton", "FooterCopyright", "tracking", "color: red"):
        assert chrome not in out, chrome


def test_text_and_html_formats(site, ctx: ToolContext):
    text = call("webfetch", {"url": f"{site}/article", "format": "text"}, ctx).output
    assert "Version 2.0 is out" in text and "# Version" not in text and "**" not in text and "NavDocs" not in text
    raw = call("webfetch", {"url": f"{site}/article", "format": "html"}, ctx).output
    assert "<nav>" in raw and "NavDocs" in raw


def test_json_passes_through_and_redirects_are_followed(site, ctx: ToolContext):
    result = call("webfetch", {"url": f"{site}/data.json"}, ctx)
    assert result.success and '{"name": "codetether", "tools": 27}' in result.output
    moved = call("webfetch", {"url": f"{site}/moved"}, ctx)
    assert moved.success and f"{site}/article" in moved.output and "Version 2.0 is out" in moved.output


def test_404_is_an_error_with_status_and_reason(site, ctx: ToolContext):
    result = call("webfetch", {"url": f"{site}/nowhere"}, ctx)
    assert not result.success
    assert "HTTP 404 Not Found" in result.output and f"{site}/nowhere" in result.output


def test_binary_content_is_refused(site, ctx: ToolContext):
    result = call("webfetch", {"url": f"{site}/image.png"}, ctx)
    assert not result.success and "binary" in result.output and "image/png" in result.output


def test_body_over_10_mib_is_capped_with_a_marker(site, ctx: ToolContext):
    result = call("webfetch", {"url": f"{site}/big", "max_chars": 5000}, ctx)
    assert result.success, result.output
    assert result.metadata["capped"] and result.metadata["bytes"] == webfetch.MAX_BODY_BYTES
    assert "[body capped at 10 MiB" in result.output
    assert "[truncated at 5000 of" in result.output
    assert len(result.output) < 6000


def test_timeout_is_a_clear_error(site, ctx: ToolContext, monkeypatch):
    monkeypatch.setattr(webfetch, "TIMEOUT_SECS", 0.5)
    result = call("webfetch", {"url": f"{site}/slow"}, ctx)
    assert not result.success and "timed out" in result.output


@pytest.mark.parametrize("args, needle", [
    ({}, "'url'"),
    ({"url": "ftp://example.com/file"}, "'url'"),
    ({"url": "not a url"}, "'url'"),
    ({"url": "http://127.0.0.1:9/", "format": "pdf"}, "'format'"),
    ({"url": "http://127.0.0.1:9/", "max_chars": 10}, "'max_chars'"),
])
def test_bad_arguments_name_the_field(ctx: ToolContext, args, needle):
    result = call("webfetch", args, ctx)
    assert not result.success and needle in result.output


def test_unreachable_host_is_an_error(isolated_env, ctx: ToolContext):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = call("webfetch", {"url": f"http://127.0.0.1:{port}/"}, ctx)
    assert not result.success and "could not fetch" in result.output


def test_webfetch_permission_rule_applies(site, tmp_path):
    from codetether.config.permission import PermissionRules
    from codetether.tool.support.permission import PermissionPolicy

    ctx = ToolContext(root=tmp_path, policy=PermissionPolicy(PermissionRules(webfetch="deny", source="cfg.toml")))
    result = call("webfetch", {"url": f"{site}/article"}, ctx)
    assert not result.success and result.metadata.get("refused")
    assert 'permission.webfetch = "deny" in cfg.toml' in result.output


def test_html_conversion_survives_deep_nesting_and_unclosed_tags():
    from codetether.tool.support.html2md import html_to_markdown

    deep = "<html><body>" + "<div><span>" * 5000 + "deep text" + "</span></div>" * 5000 + "<p>after</p></body></html>"
    assert html_to_markdown(deep) == "deep text\n\nafter"
    sloppy = "<body><ul><li>one<li>two</ul><p>first<p>second<table><tr><td>a<td>b<tr><td>c<td>d</table></body>"
    assert html_to_markdown(sloppy) == "- one\n- two\n\nfirst\n\nsecond\n\n| a | b |\n| --- | --- |\n| c | d |"
