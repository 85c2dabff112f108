"""websearch: DuckDuckGo with no config (a local server serving its real result pages), and the backend chosen in
config against fake SearXNG/Brave/Tavily endpoints on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from codetether.config.load import load
from codetether.tool.base import ToolContext
from tests.harness.ddg_server import DdgServer
from tests.harness.http_base import send_json
from tests.tools.conftest import call

KEY = "brave-test-key-0123456789"


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        _Handler.seen.append({"path": parts.path, "query": query, "headers": dict(self.headers)})
        if parts.path == "/searx/search" and query.get("format") == ["json"]:
            send_json(self, 200, {"query": query["q"][0], "results": [
                {"title": f"Result {n} for {query['q'][0]}", "url": f"https://example.org/{n}",
                 "content": f"snippet <b>{n}</b> &amp; more"} for n in range(1, 9)]})
        elif parts.path == "/brave/web/search":
            if self.headers.get("X-Subscription-Token") != KEY:
                send_json(self, 401, {"error": "bad key"})
                return
            send_json(self, 200, {"web": {"results": [{"title": "Brave hit", "url": "https://brave.example/1",
                                                      "description": "found <strong>it</strong>"}]}})
        else:
            send_json(self, 404, {"error": "no such endpoint"})


@pytest.fixture
def fake(isolated_env) -> Iterator[str]:
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _ctx(tmp_path: Path, toml: str, env: dict[str, str] | None = None) -> ToolContext:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    return ToolContext(root=tmp_path, config=load(path, env=env or {}))


@pytest.fixture
def ddg(isolated_env) -> Iterator[DdgServer]:
    with DdgServer() as server:
        yield server


def test_no_config_searches_duckduckgo_and_parses_its_page(ddg, tmp_path):
    ctx = _ctx(tmp_path, "", env={"CODETETHER_DUCKDUCKGO_URL": ddg.url})
    result = call("websearch", {"query": "python asyncio", "max_results": 3}, ctx)
    assert result.success, result.output
    assert result.output.splitlines()[:3] == [
        "1. asyncio — Asynchronous I/O — Python 3.12 documentation",
        "   https://docs.python.org/3/library/asyncio.html",
        "   asyncio is a library to write concurrent code using the async/await syntax. It is used as a foundation "
        "for multiple Python asynchronous frameworks & libraries."]
    assert "2. Async IO in Python: A Complete Walkthrough\n   https://realpython.com/async-io-python/?utm=a&b=c\n" \
           "   This tutorial shows you how to use async IO 'the easy way'." in result.output
    assert "Use asyncio.create_task and keep a reference <task> to it." in result.output
    assert "ads.example" not in result.output and "Sponsored" not in result.output  # the ad is dropped
    assert "pep-3156" not in result.output  # max_results
    assert result.metadata == {"backend": "duckduckgo", "results": 3}
    request = ddg.requests[-1]
    assert (request["method"], request["path"], request["form"]["q"]) == ("POST", "/html/", ["python asyncio"])
    assert request["headers"]["user-agent"].startswith("Mozilla/5.0")


def test_duckduckgo_no_results_bot_check_and_unknown_layout(ddg, tmp_path):
    ctx = _ctx(tmp_path, "", env={"CODETETHER_DUCKDUCKGO_URL": ddg.url})
    ddg.mode = "empty"
    empty = call("websearch", {"query": "zzqx nothing"}, ctx)
    assert empty.success and empty.output == "no results for 'zzqx nothing'"
    ddg.mode = "bot_check"
    blocked = call("websearch", {"query": "x"}, ctx)
    assert not blocked.success and "bot check (a CAPTCHA page)" in blocked.output
    assert 'backend = "searxng"' in blocked.output  # and how to use a backend that has an API
    ddg.mode = "layout"
    changed = call("websearch", {"query": "x"}, ctx)
    assert not changed.success and "layout codetether reads" in changed.output


def test_backend_off_and_explicit_duckduckgo(ddg, tmp_path):
    off = call("websearch", {"query": "x"}, _ctx(tmp_path, '[websearch]\nbackend = "off"\n'))
    assert not off.success and "turned off" in off.output and not ddg.requests
    explicit = _ctx(tmp_path, f'[websearch]\nbackend = "duckduckgo"\nduckduckgo_url = "{ddg.url}/"\n')
    assert call("websearch", {"query": "python"}, explicit).metadata["results"] == 4


def test_searxng_backend_returns_numbered_results(fake, tmp_path):
    ctx = _ctx(tmp_path, f'[websearch]\nbackend = "searxng"\nsearxng_url = "{fake}/searx/"\n')
    result = call("websearch", {"query": "python asyncio", "max_results": 3}, ctx)
    assert result.success, result.output
    assert result.output.splitlines()[0] == "1. Result 1 for python asyncio"
    assert "https://example.org/3" in result.output and "https://example.org/4" not in result.output
    assert "snippet 1 & more" in result.output  # tags stripped, entities decoded
    assert result.metadata == {"backend": "searxng", "results": 3}
    assert _Handler.seen[-1]["query"]["q"] == ["python asyncio"]


def test_searxng_without_url_names_the_key(isolated_env, tmp_path):
    result = call("websearch", {"query": "x"}, _ctx(tmp_path, '[websearch]\nbackend = "searxng"\n'))
    assert not result.success and "searxng_url is empty" in result.output


def test_searxng_error_status_is_reported(fake, tmp_path):
    ctx = _ctx(tmp_path, f'[websearch]\nbackend = "searxng"\nsearxng_url = "{fake}/wrong"\n')
    result = call("websearch", {"query": "x"}, ctx)
    assert not result.success and "HTTP 404" in result.output


def test_brave_key_comes_from_vault(fake, vault_clean, tmp_path, monkeypatch):
    for name, value in vault_clean.env().items():
        monkeypatch.setenv(name, value)
    ctx = _ctx(tmp_path, '[websearch]\nbackend = "brave"\n')
    missing = call("websearch", {"query": "x"}, ctx)
    assert not missing.success and "Vault has no api_key for 'brave'" in missing.output
    vault_clean.put_provider("brave", api_key=KEY, base_url=f"{fake}/brave")
    result = call("websearch", {"query": "find it"}, ctx)
    assert result.success, result.output
    assert "1. Brave hit\n   https://brave.example/1\n   found it" in result.output
    assert KEY not in result.output
    vault_clean.put_provider("brave", api_key="wrong-key-123456", base_url=f"{fake}/brave")
    rejected = call("websearch", {"query": "x"}, ctx)
    assert not rejected.success and "HTTP 401" in rejected.output


def test_tavily_without_vault_explains(isolated_env, tmp_path):
    result = call("websearch", {"query": "x"}, _ctx(tmp_path, '[websearch]\nbackend = "tavily"\n'))
    assert not result.success and "VAULT_ADDR is not set" in result.output


def test_unknown_backend_is_a_config_error(isolated_env, tmp_path):
    from codetether.errors import ConfigError

    with pytest.raises(ConfigError, match="websearch.backend"):
        _ctx(tmp_path, '[websearch]\nbackend = "google"\n')


@pytest.mark.parametrize("args, needle", [({}, "'query'"), ({"query": "  "}, "'query'"),
                                          ({"query": "x", "max_results": 0}, "'max_results'")])
def test_bad_arguments_name_the_field(isolated_env, tmp_path, args, needle):
    result = call("websearch", args, _ctx(tmp_path, ""))
    assert not result.success and needle in result.output
