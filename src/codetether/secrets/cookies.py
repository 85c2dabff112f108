"""Browser cookies as [{name, value, domain}] from the formats people export them in; stdlib only."""

from __future__ import annotations

import json
import re
from typing import Any


class CookieError(ValueError):
    """The cookies field could not be read; the message names what is wrong."""


def parse_cookies(raw: Any) -> list[dict[str, str]]:
    """Cookies from a Netscape cookies.txt, a JSON object/array (or its text), or `a=b; c=d`."""
    if isinstance(raw, str) and raw.strip()[:1] in ("{", "["):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise CookieError(f"it looks like JSON but is not valid JSON ({exc})") from None
    if isinstance(raw, dict):
        return [{"name": str(k), "value": str(v), "domain": ""} for k, v in raw.items() if isinstance(v, str | int)]
    if isinstance(raw, list):  # the browser extensions' export: [{"name", "value", "domain", ...}]
        return [{"name": str(c["name"]), "value": str(c.get("value", "")), "domain": str(c.get("domain", ""))}
                for c in raw if isinstance(c, dict) and c.get("name")]
    if not isinstance(raw, str):
        raise CookieError(f"expected text or a JSON object, got {type(raw).__name__}")
    if "\t" not in raw and "=" in raw:  # a Cookie header; one pair a line works too, and # lines are comments
        lines = (line for line in raw.splitlines() if not line.lstrip().startswith("#"))
        pairs = (p.strip().partition("=") for p in re.split(r"[;\n]", "\n".join(lines)))
        return [{"name": n, "value": v, "domain": ""} for n, _, v in pairs if n]
    return _netscape(raw)


def _netscape(text: str) -> list[dict[str, str]]:
    cookies = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]  # an HttpOnly cookie, not a comment
        elif not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) >= 7:
            cookies.append({"name": cols[5].strip(), "value": cols[6].strip(), "domain": cols[0].strip()})
        elif len(cols) == 2:
            cookies.append({"name": cols[0].strip(), "value": cols[1].strip(), "domain": ""})
    return [c for c in cookies if c["name"]]
