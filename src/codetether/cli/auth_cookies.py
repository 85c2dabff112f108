"""`codetether auth cookies`: import a browser cookie export (Netscape cookies.txt) into a provider's Vault secret."""

from __future__ import annotations

import argparse
from pathlib import Path

from codetether.errors import UsageError
from codetether.provider.gemini_wire import AUTH_COOKIE, is_google_auth
from codetether.secrets.cookies import CookieError, parse_cookies


async def run(args: argparse.Namespace) -> int:
    from codetether.secrets.redact import remember
    from codetether.secrets.vault import VaultClient

    provider = args.provider
    path = Path(args.file).expanduser()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--file {args.file}: cannot read it ({exc.strerror or exc})",
                         "Export the cookies of the signed-in site as a Netscape cookies.txt file.") from None
    try:
        lines = _cookie_lines(text)
    except CookieError as exc:
        raise UsageError(f"--file {args.file}: {exc}") from None
    for _, cookie in lines:
        remember(cookie["value"])
    google = provider == "gemini-web"
    kept = lines if args.keep_all or not google else [(line, c) for line, c in lines if is_google_auth(c)]
    if not kept:
        raise UsageError(f"--file {args.file} holds no {'google.com sign-in ' if google else ''}cookies",
                         "Export the cookies while signed in (or pass --keep-all to store every cookie).")
    if google and not any(c["name"] == AUTH_COOKIE for _, c in kept):
        raise UsageError(f"--file {args.file} has no {AUTH_COOKIE} cookie, which gemini-web signs in with",
                         "Export the cookies of gemini.google.com while signed in to Google.")
    from codetether.secrets.local_vault import writable_settings

    settings, where = writable_settings()
    async with VaultClient(settings) as vault:
        await vault.write_provider(provider, {"cookies": "\n".join(line for line, _ in kept) + "\n"})
    dropped = len(lines) - len(kept)
    names = ", ".join(sorted({c["name"] for _, c in kept}))
    print(f"Stored {len(kept)} cookie(s) ({names}) in {where} at {settings.mount}/{settings.path}/{provider}"
          + (f"; left out {dropped} that gemini-web does not sign in with (--keep-all keeps them)" if dropped else "")
          + (f"; try: codetether run --model {provider}/gemini-web-fast \"hello\"" if google else ""))
    return 0


def _cookie_lines(text: str) -> list[tuple[str, dict[str, str]]]:
    """Each cookie with the Netscape line that stores it; JSON exports and `a=b; c=d` become such lines."""
    found = [(line.strip(), c) for line in text.splitlines() if "\t" in line for c in parse_cookies(line)]
    if found:
        return found
    return [(_line(c), c) for c in parse_cookies(text.strip())] if text.strip() else []


def _line(cookie: dict[str, str]) -> str:
    domain = cookie.get("domain") or ".google.com"
    return "\t".join((domain, "TRUE" if domain.startswith(".") else "FALSE", "/", "TRUE", "0", cookie["name"],
                      cookie["value"]))
