"""A stand-in for the Gemini web app (gemini.google.com) on 127.0.0.1: the app page and BardChatUi StreamGenerate.

Like the real site it embeds the `at` token (SNlM0e) in /app only for signed-in cookies, refuses StreamGenerate
without the cookies and the current token, and answers in the `)]}'` + length-framed JSON stream. Stdlib only.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from tests.harness.http_base import LocalServer

STREAM_PATH = "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate"
PSID = "g.a000test-psid-0123456789abcdef"
PSIDTS = "sidts-test-0123456789"


@dataclass
class GeminiWebServer(LocalServer):
    daemon_threads = True
    psid: str = PSID
    replies: deque[Any] = field(default_factory=deque)  # text, or ("error", code) for an ["e", ...] frame
    requests: list[dict[str, Any]] = field(default_factory=list)
    page_loads: int = 0
    token_number: int = 1
    signed_in: bool = True
    account: str = ""  # "/u/1": /app redirects to /u/1/app, as for a second signed-in Google account
    rotated_psidts: str | None = None  # set: the app page rotates __Secure-1PSIDTS to it with Set-Cookie

    @property
    def at_token(self) -> str:
        return f"AJvLN6test-at-token-{self.token_number}:1700000000000"

    def cookies_txt(self, extra: str = "") -> str:
        """A Netscape cookies.txt as a browser extension exports it (HttpOnly lines included)."""
        return ("# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n\n"
                f"#HttpOnly_.google.com\tTRUE\t/\tTRUE\t1900000000\t__Secure-1PSID\t{self.psid}\n"
                f".google.com\tTRUE\t/\tTRUE\t1900000000\t__Secure-1PSIDTS\t{PSIDTS}\n"
                ".google.com\tTRUE\t/\tFALSE\t1900000000\tSIDCC\tsidcc-value-123\n"
                "gemini.google.com\tFALSE\t/\tFALSE\t1900000000\t_ga\tGA1.1.tracking\n"
                ".youtube.com\tTRUE\t/\tTRUE\t1900000000\tVISITOR_INFO1_LIVE\tyt-visitor-1\n" + extra)

    def script(self, *replies: Any) -> Self:
        self.replies.extend(replies)
        return self

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        (self._get if h.command == "GET" else self._post)(h)

    def _authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        cookies = dict(p.strip().partition("=")[::2] for p in (handler.headers.get("Cookie") or "").split(";"))
        return self.signed_in and cookies.get("__Secure-1PSID") == self.psid

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path).path
        if path == "/":
            h.send_response(302)
            h.send_header("Location", "/app")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if path == "/app" and self.account:
            h.send_response(302)
            h.send_header("Location", f"{self.account}/app")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if path != f"{self.account}/app":
            return _send(h, 404, "text/html", "<html>not found</html>")
        self.page_loads += 1
        if not self._authorized(h):  # signed out: the marketing page, without any WIZ_global_data tokens
            return _send(h, 200, "text/html", "<html><body><a href='https://accounts.google.com'>Sign in</a></body>")
        data = {"SNlM0e": self.at_token, "cfb2h": "boq_assistant-bard-web-server_20250101.00_p0",
                "FdrFJe": "-1234567890123456789", "qwAQke": "BardChatUi"}
        wiz = json.dumps(data, separators=(",", ":"))  # the real page has no blanks after the colons
        rotate = {"Set-Cookie": f"__Secure-1PSIDTS={self.rotated_psidts}; Path=/; HttpOnly"} if self.rotated_psidts else {}
        _send(h, 200, "text/html", f"<html><script>window.WIZ_global_data = {wiz};</script></html>", rotate)

    def _post(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        form = {k: v[0] for k, v in parse_qs(h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()).items()}
        record = {"path": url.path, "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                  "headers": {k.lower(): v for k, v in h.headers.items()}, "form": form, "prompt": None}
        self.requests.append(record)
        if url.path != f"{self.account}{STREAM_PATH}":
            return _send(h, 404, "text/html", "<html>not found</html>")
        if not self._authorized(h):
            return _send(h, 401, "text/html", "<html>Unauthorized</html>")
        if form.get("at") != self.at_token or h.headers.get("X-Same-Domain") != "1":
            return _send(h, 400, "application/json", ")]}'\n\n[[\"er\",null,null,null,null,400]]")
        try:
            inner = json.loads(json.loads(form["f.req"])[1])
            record["prompt"] = inner[0][0]
        except (KeyError, ValueError, TypeError, IndexError):
            return _send(h, 400, "application/json", ")]}'\n")
        reply = self.replies.popleft() if self.replies else "(no scripted reply)"
        h.send_response(200)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.end_headers()  # no Content-Length: the body streams until the connection closes, as the real one does
        h.wfile.write(b")]}'\n")
        for frame in _frames(reply):
            h.wfile.write(frame.encode())
            h.wfile.flush()


def _frames(reply: Any) -> list[str]:
    """The reply as the app streams it: cumulative wrb.fr frames, then the trailing di/af.httprm frame."""
    payloads: list[Any] = []
    if isinstance(reply, tuple) and reply[0] == "error":
        payloads.append([["e", 4, None, None, reply[1]]])
    else:
        cuts = sorted({max(1, len(reply) * i // 3) for i in (1, 2, 3)})
        for n, cut in enumerate(cuts):
            candidate = ["rc_test", [reply[:cut]], [], None, None, None, True, None, [2 if n == len(cuts) - 1 else 1]]
            inner = [None, ["c_test", "r_test"], None, None, [candidate]]
            payloads.append([["wrb.fr", None, json.dumps(inner)]])
    payloads.append([["di", 120], ["af.httprm", 119, "-5270880240127424352", 3]])
    out = []
    for payload in payloads:
        text = json.dumps(payload)
        units = len(text.encode("utf-16-le")) // 2 + 2  # JavaScript length of "\n<json>\n"
        out.append(f"\n{units}\n{text}\n")
    return out


def _send(h: BaseHTTPRequestHandler, status: int, content_type: str, body: str,
          headers: dict[str, str] | None = None) -> None:
    data = body.encode()
    h.send_response(status)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)
