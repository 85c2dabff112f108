"""gemini-web: cookies from Vault, the app page's `at` token, StreamGenerate framing and text-protocol tool calls."""

from __future__ import annotations

import asyncio
import json

import pytest

from codetether.provider.catalog import spec_for
from codetether.provider.errors import ProviderAuthError, ProviderRequestError
from codetether.provider.factory import make_provider
from codetether.provider.gemini_wire import MODES, split_frames
from codetether.provider.model import CompletionRequest, Message, TextDelta
from codetether.secrets.cookies import parse_cookies
from codetether.secrets.model import ProviderSecret
from tests.cli.conftest import assert_clean_failure
from tests.harness.gemini_web_server import PSID, STREAM_PATH, GeminiWebServer
from tests.provider.helpers import READ_TOOL

CALL = ('I will read the file first.\n```xml\n<tool_call>\n{"name": "read", "arguments": {"path": "app.py"}}\n'
        '</tool_call>\n```')


@pytest.fixture
def gemini():
    with GeminiWebServer() as server:
        yield server


def _provider(server: GeminiWebServer, **fields):
    secret = ProviderSecret.from_fields("gemini-web", {"cookies": server.cookies_txt(), "base_url": server.url,
                                                       **fields}, "vault")
    return make_provider(spec_for("gemini-web", None), secret)


def _complete(provider, model="gemini-web-fast", tools=True, deltas=None):
    request = CompletionRequest(model, [Message.text("system", "be brief"), Message.text("user", "read app.py")],
                                [READ_TOOL] if tools else [])

    async def go():
        try:
            return await provider.complete(request, deltas.append if deltas is not None else None)
        finally:
            await provider.aclose()
    return asyncio.run(go())


def test_run_turns_a_text_tool_call_into_a_real_read(cli, vault_clean, gemini):
    vault_clean.put_provider("gemini-web", cookies=gemini.cookies_txt(), base_url=gemini.url)
    gemini.script(CALL, "app.py prints helo.")

    proc = cli("run", "--agent", "build", "-m", "gemini-web/gemini-web-fast", "what does app.py print?")

    assert proc.returncode == 0, proc.stderr
    assert "app.py prints helo." in proc.stdout
    assert "<tool_call>" not in proc.stdout and "I will read the file first." in proc.stdout
    assert "read" in proc.stderr  # the tool-call line: the read really ran
    posts = [r for r in gemini.requests if r["path"] == STREAM_PATH]
    assert len(posts) == 2 and gemini.page_loads == 1  # the `at` token is scraped once and reused
    first, second = posts
    assert first["form"]["at"] == gemini.at_token
    assert first["headers"]["x-goog-ext-525001261-jspb"] == json.dumps(
        [1, None, None, None, MODES["gemini-web-fast"], None, None, 0, [4], None, None, 3], separators=(",", ":"))
    assert first["headers"]["x-same-domain"] == "1" and first["query"]["rt"] == "c"
    assert first["query"]["bl"].startswith("boq_assistant-bard-web-server")
    assert "## read" in first["prompt"] and "what does app.py print?" in first["prompt"]
    # The call and the real file content go back as text in the next prompt.
    assert '<tool_result name="read">' in second["prompt"] and "helo" in second["prompt"]
    assert '{"name": "read", "arguments": {"path": "app.py"}}' in second["prompt"]


def test_streamed_text_stops_before_the_call_and_ends_complete(gemini):
    gemini.script(CALL)
    deltas: list[TextDelta] = []
    response = _complete(_provider(gemini), deltas=deltas)
    assert response.finish_reason == "tool_calls"
    assert [(c.name, json.loads(c.arguments)) for c in response.message.tool_calls] == [("read", {"path": "app.py"})]
    assert "".join(d.text for d in deltas) == response.message.text_content == "I will read the file first."


def test_model_selection_and_a_rotated_token_is_fetched_again(gemini):
    gemini.script("first", "second")
    provider = _provider(gemini)

    async def go():
        try:
            one = await provider.complete(CompletionRequest("gemini-web-pro", [Message.text("user", "a")]))
            gemini.token_number += 1  # the site rotated its XSRF token: the cached one now gets HTTP 400
            two = await provider.complete(CompletionRequest("gemini-web-deep-think", [Message.text("user", "b")]))
            return one, two
        finally:
            await provider.aclose()
    one, two = asyncio.run(go())
    assert (one.message.text_content, two.message.text_content) == ("first", "second")
    assert gemini.page_loads == 2
    posts = [r for r in gemini.requests if r["path"] == STREAM_PATH]
    # the stale token is refused once, then the page is read again and the request repeated with the new one
    assert [p["form"]["at"].endswith("-1:1700000000000") for p in posts] == [True, True, False]
    modes = [json.loads(p["headers"]["x-goog-ext-525001261-jspb"])[4] for p in posts]
    assert modes == [MODES["gemini-web-pro"], MODES["gemini-web-deep-think"], MODES["gemini-web-deep-think"]]


def test_expired_cookies_are_a_clear_error(cli, vault_clean, gemini):
    vault_clean.put_provider("gemini-web", cookies=gemini.cookies_txt(), base_url=gemini.url)
    gemini.signed_in = False  # Google signed the session out: the page no longer carries SNlM0e
    proc = cli("run", "-m", "gemini-web/gemini-web-fast", "hello")
    assert_clean_failure(proc, "cookies are expired or signed out", "codetether auth cookies")
    assert PSID not in proc.stderr + proc.stdout


def test_cookies_rejected_by_stream_generate(gemini):
    gemini.script("never sent")
    provider = _provider(gemini)

    async def go():
        try:
            await provider._session(refresh=False)
            gemini.signed_in = False  # expires between the page load and the request
            return await provider.complete(CompletionRequest("gemini-web-fast", [Message.text("user", "a")]))
        finally:
            await provider.aclose()
    with pytest.raises(ProviderAuthError, match="cookies are expired"):
        asyncio.run(go())


def test_missing_or_unusable_cookies_name_the_problem(cli, vault_clean, gemini):
    proc = cli("run", "-m", "gemini-web/gemini-web-fast", "hello")  # no secret at all
    assert_clean_failure(proc, "gemini-web", "cookies")
    vault_clean.put_provider("gemini-web", cookies=".google.com\tTRUE\t/\tTRUE\t0\tNID\tabcdef\n", base_url=gemini.url)
    proc = cli("run", "-m", "gemini-web/gemini-web-fast", "hello")
    assert_clean_failure(proc, "no __Secure-1PSID cookie", "NID")
    with pytest.raises(ProviderAuthError, match="has no cookies"):
        make_provider(spec_for("gemini-web", None), ProviderSecret.from_fields("gemini-web", {}, "vault"))


def test_protocol_error_frame_and_unknown_model(gemini):
    gemini.script(("error", 469), ("error", 469))
    with pytest.raises(ProviderRequestError, match="protocol error code 469") as info:
        _complete(_provider(gemini), model="gemini-web-deep-think")
    assert "gemini-web-fast" in (info.value.hint or "")
    with pytest.raises(ProviderRequestError, match="no model 'gpt-4o'"):
        _complete(_provider(gemini), model="gpt-4o")


def test_cookie_formats():
    names = {"__Secure-1PSID": "a1", "__Secure-1PSIDTS": "b2"}
    assert {c["name"]: c["value"] for c in parse_cookies(json.dumps(names))} == names
    assert {c["name"]: c["value"] for c in parse_cookies(names)} == names
    exported = [{"name": "__Secure-1PSID", "value": "a1", "domain": ".google.com"}]
    assert parse_cookies(exported)[0]["domain"] == ".google.com"
    assert [c["name"] for c in parse_cookies("__Secure-1PSID=a1; SID=x")] == ["__Secure-1PSID", "SID"]
    assert [c["name"] for c in parse_cookies(GeminiWebServer().cookies_txt())][:2] == ["__Secure-1PSID",
                                                                                       "__Secure-1PSIDTS"]


def test_frames_count_utf16_units_and_wait_for_partial_frames():
    payload = json.dumps([["wrb.fr", None, "😀 é"]], ensure_ascii=False)
    units = len(payload.encode("utf-16-le")) // 2 + 2
    whole = f")]}}'\n\n{units}\n{payload}\n"
    events, rest = split_frames(whole)
    assert events == [["wrb.fr", None, "😀 é"]] and rest.strip() == ""
    events, rest = split_frames(whole[:-4])
    assert events == [] and rest.endswith(payload[:-3])


def test_auth_cookies_imports_only_google_sign_in_cookies(cli, vault_clean, gemini, tmp_path):
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(gemini.cookies_txt())
    proc = cli("auth", "cookies", "--provider", "gemini-web", "--file", str(cookies))
    assert proc.returncode == 0, proc.stderr
    assert "Stored 3 cookie(s)" in proc.stdout and "left out 2" in proc.stdout
    assert PSID not in proc.stdout + proc.stderr
    stored = vault_clean.read_provider("gemini-web")["cookies"]
    assert {c["name"] for c in parse_cookies(stored)} == {"__Secure-1PSID", "__Secure-1PSIDTS", "SIDCC"}
    assert "#HttpOnly_.google.com" in stored  # lines are kept as exported

    proc = cli("auth", "cookies", "--file", str(cookies), "--keep-all")  # --provider defaults to gemini-web
    assert proc.returncode == 0, proc.stderr
    assert len(parse_cookies(vault_clean.read_provider("gemini-web")["cookies"])) == 5

    vault_clean.put_provider("gemini-web", cookies=gemini.cookies_txt(), base_url=gemini.url)
    gemini.script("hi from the web app")
    proc = cli("run", "-m", "gemini-web/gemini-web-fast", "hello")
    assert proc.returncode == 0 and "hi from the web app" in proc.stdout, proc.stderr


def test_auth_cookies_bad_files(cli, tmp_path):
    proc = cli("auth", "cookies", "--file", str(tmp_path / "missing.txt"))
    assert_clean_failure(proc, "--file", "cannot read it")
    other = tmp_path / "other.txt"
    other.write_text(".youtube.com\tTRUE\t/\tTRUE\t0\tVISITOR\tabcdef\n")
    assert_clean_failure(cli("auth", "cookies", "--file", str(other)), "no google.com sign-in cookies")
    nid = tmp_path / "nid.txt"
    nid.write_text(".google.com\tTRUE\t/\tTRUE\t0\tNID\tabcdef\n")
    assert_clean_failure(cli("auth", "cookies", "--file", str(nid)), "no __Secure-1PSID cookie")


def test_cookies_survive_the_account_redirect_and_rotated_cookies_are_sent(gemini):
    gemini.account = "/u/1"  # /app answers 302 -> /u/1/app: the cookies must follow the redirect
    gemini.rotated_psidts = "sidts-rotated-9876543210"  # and the page rotates __Secure-1PSIDTS
    gemini.script("hello from account 1")
    response = _complete(_provider(gemini), tools=False)
    assert response.message.text_content == "hello from account 1" and gemini.page_loads == 1
    (post,) = [r for r in gemini.requests if r["path"] == "/u/1" + STREAM_PATH]
    cookies = dict(p.strip().partition("=")[::2] for p in post["headers"]["cookie"].split(";"))
    assert cookies["__Secure-1PSID"] == PSID and cookies["__Secure-1PSIDTS"] == "sidts-rotated-9876543210"
    assert "VISITOR_INFO1_LIVE" in cookies  # a local base URL gets every stored cookie, scoped to its host


def test_secret_cookie_values_are_redacted_in_every_format():
    from codetether.secrets.redact import redact

    for cookies in (GeminiWebServer().cookies_txt(), '{"__Secure-1PSID": "json-object-secret"}',
                    '[{"name": "SID", "value": "json-array-secret"}]', "SID=header-pair-secret; NID=other-secret",
                    "# comment\tcomment-field-shown\n.google.com\tTRUE\t/\tTRUE\t0\tSID\tnetscape-secret"):
        ProviderSecret.from_fields("gemini-web", {"cookies": cookies}, "vault")
        for value in {c["value"] for c in parse_cookies(cookies)}:
            assert redact(f"x {value} y") == "x [REDACTED] y", (cookies, value)
    assert redact("comment-field-shown") == "comment-field-shown"  # comment lines hold no cookies


def test_cookie_jar_for_the_real_site_holds_only_google_cookies():
    from codetether.provider.gemini_web import _jar

    jar = _jar(parse_cookies(GeminiWebServer().cookies_txt()), "https://gemini.google.com")
    assert {(c.name, c.domain) for c in jar.jar} == {(n, ".google.com") for n in (
        "__Secure-1PSID", "__Secure-1PSIDTS", "SIDCC", "_ga")}  # the .youtube.com cookie stays out


def test_text_protocol_calls_get_the_certain_repairs_and_a_cut_block_never_runs(cli, vault_clean, gemini):
    """A model without native tools: its Python-style block is repaired (and recorded), a cut-off one refused."""
    vault_clean.put_provider("gemini-web", cookies=gemini.cookies_txt(), base_url=gemini.url)
    gemini.script("<tool_call>\n{'name': 'Read', 'arguments': {'file_path': 'app.py', 'limit': '2'},}\n</tool_call>",
                  '<tool_call>{"name": "write", "arguments": {"path": "half.py", "content": "def f():\n    ret',
                  "Done.")

    proc = cli("run", "--agent", "build", "-m", "gemini-web/gemini-web-fast", "--format", "jsonl", "look")

    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    [repaired] = [e for e in events if e["type"] == "run.tool_call_repaired"]
    assert repaired["name"] == "read" and json.loads(repaired["arguments"]) == {"path": "app.py", "limit": 2}
    assert "single-quoted strings read as JSON strings" in repaired["repairs"]
    assert "parameter 'file_path' read as 'path'" in repaired["repairs"]
    assert not (cli.cwd / "half.py").exists()
    third = [r for r in gemini.requests if r["path"] == STREAM_PATH][2]["prompt"]
    assert "write was not run: the call was cut off" in third and "write takes: path (string, required)" in third
