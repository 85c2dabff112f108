"""The Gemini web app's wire format: which cookies sign in, the f.req payload, and the length-framed reply stream."""

from __future__ import annotations

import json
import re
import time
from typing import Any

STREAM_PATH = "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate"
MODEL_HEADER = "x-goog-ext-525001261-jspb"
# Model id -> the web app's mode id, sent in MODEL_HEADER (what the model picker in the page sends).
MODES = {"gemini-web-fast": "fbb127bbb056c959", "gemini-web-thinking": "5bf011840784117a",
         "gemini-web-pro": "9d8ca3786ebdfbea", "gemini-web-deep-think": "e6fa609c3fa255c0"}
AUTH_COOKIE = "__Secure-1PSID"
# The cookies the web app authenticates with; `auth cookies` keeps only these (and their rotating siblings).
AUTH_PREFIXES = ("__Secure-1PSID", "__Secure-3PSID", "__Secure-1PAPISID", "__Secure-3PAPISID", "SID", "HSID",
                 "SSID", "APISID", "SAPISID", "NID", "SIDCC", "__Secure-ENID", "AEC")
_PAGE_TOKENS = {"at": ("thykhd", "SNlM0e"), "bl": ("cfb2h",), "f_sid": ("FdrFJe",)}


def is_google_auth(cookie: dict[str, str]) -> bool:
    domain = cookie.get("domain", "").lstrip(".").lower()
    google = not domain or domain == "google.com" or domain.endswith(".google.com")
    return google and any(cookie["name"] == p or cookie["name"].startswith(p + "TS") for p in AUTH_PREFIXES)


def page_tokens(html: str) -> dict[str, str]:
    """The values the app page embeds for its own requests: the `at` (XSRF) token, build label and session id."""
    found: dict[str, str] = {}
    for key, names in _PAGE_TOKENS.items():
        for name in names:
            match = re.search(rf'"{name}"\s*:\s*"([^"]+)"', html)
            if match:
                found[key] = match.group(1)
                break
    return found


def model_header(model: str) -> str:
    return json.dumps([1, None, None, None, MODES.get(model, MODES["gemini-web-fast"]), None, None, 0, [4], None,
                       None, 3], separators=(",", ":"))


def f_req(prompt: str) -> str:
    """The form field f.req: [null, "<the JSON-encoded request>"], as the web app builds it for a new chat."""
    inner: list[Any] = [None] * 69
    inner[0] = [prompt, 0, None, None, None, None, 0]
    inner[1] = ["en"]
    inner[2] = ["", "", "", None, None, None, None, None, None, ""]  # no conversation to continue
    inner[6], inner[7], inner[10], inner[11] = [1], 1, 1, 0
    inner[17], inner[18], inner[27], inner[30], inner[53] = [[0]], 0, 1, [4], 0
    inner[61], inner[66], inner[68] = [], [int(time.time()), 0], 2
    return json.dumps([None, json.dumps(inner, separators=(",", ":"))], separators=(",", ":"))


def split_frames(buffer: str) -> tuple[list[Any], str]:
    """Parse the complete `<length>\\n<json>` frames at the start of buffer; return them and the unread rest.

    The length counts UTF-16 code units (JavaScript's String.length) from the newline after the number.
    """
    if buffer.startswith(")]}'"):
        buffer = buffer[4:]
    events: list[Any] = []
    pos = 0
    while True:
        match = re.compile(r"\s*(\d+)\n").match(buffer, pos)
        if not match:
            return events, buffer[pos:]
        start = match.end() - 1  # the newline after the number is counted
        end, units = start, 0
        want = int(match.group(1))
        while units < want and end < len(buffer):
            units += 2 if ord(buffer[end]) > 0xFFFF else 1
            end += 1
        if units < want:
            return events, buffer[pos:]  # the frame is still arriving
        chunk = buffer[start:end].strip()
        pos = end
        if chunk:
            data = json.loads(chunk)
            events.extend(data if isinstance(data, list) else [data])


def event_text(event: Any) -> str | None:
    """The answer so far in one `wrb.fr` event: inner[4][0][1][0] (cumulative), or None for other events."""
    if not (isinstance(event, list) and len(event) > 2 and event[0] == "wrb.fr" and isinstance(event[2], str)):
        return None
    try:
        inner = json.loads(event[2])
        text = inner[4][0][1][0]
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    return text if isinstance(text, str) else None


def error_code(event: Any) -> int | None:
    """The status code of an `["e", ...]` event (the app's protocol-level error), else None."""
    if isinstance(event, list) and event and event[0] == "e":
        codes = [v for v in event[1:] if isinstance(v, int)]
        return codes[-1] if codes else None
    return None
