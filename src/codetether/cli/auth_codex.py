"""`codetether auth codex`: sign in with ChatGPT (PKCE browser flow, or --device-code); the tokens go to Vault."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from codetether.errors import CodetetherError
from codetether.provider import codex_oauth

PORT_ENV = "CODETETHER_OPENAI_AUTH_PORT"  # the callback port (1455 is the one registered with OpenAI)
DEFAULT_PORT = 1455
LOGIN_TIMEOUT = 600.0
DEVICE_TIMEOUT = 15 * 60.0
PROVIDER_ID = "openai-codex"


async def run(args: argparse.Namespace) -> int:
    from codetether.secrets.local_vault import writable_settings
    from codetether.secrets.vault import VaultClient

    settings, where = writable_settings()
    base, port = codex_oauth.issuer(), _port()
    async with VaultClient(settings) as vault:
        await vault.read_provider(PROVIDER_ID)  # an unreachable Vault fails now, not after the sign-in
        fields = await (device_flow(base) if args.device_code else browser_flow(base, port))
        await vault.write_provider(PROVIDER_ID, fields)
    account = f" (account {fields['chatgpt_account_id']})" if fields.get("chatgpt_account_id") else ""
    print(f"Signed in with ChatGPT{account}. The tokens are stored in {where} at "
          f"{settings.mount}/{settings.path}/{PROVIDER_ID}; try: codetether run --model {PROVIDER_ID}/gpt-5.5 \"hello\"")
    return 0


def _port() -> int:
    raw = os.environ.get(PORT_ENV) or str(DEFAULT_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise CodetetherError(f"{PORT_ENV}={raw!r} is not a TCP port", f"Set {PORT_ENV} to a number like 1455.")
    return int(raw)


async def browser_flow(base: str, port: int) -> dict[str, Any]:
    """Print the authorize URL, wait for the redirect on 127.0.0.1:port, and exchange its code (PKCE S256)."""
    verifier, challenge = codex_oauth.pkce_pair()
    state = codex_oauth.new_state()
    redirect = f"http://localhost:{port}/auth/callback"
    done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def callback(target: str) -> tuple[int, str]:
        parts = urlsplit(target)
        if parts.path != "/auth/callback":
            return 404, "Not found."
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if query.get("state") != state:
            return 400, "State mismatch: this is not the sign-in CodeTether started."
        if done.done():
            return 200, "Already signed in. You can close this tab."
        if query.get("error") or not query.get("code"):
            why = query.get("error_description") or query.get("error") or "no authorization code"
            done.set_exception(CodetetherError(f"ChatGPT sign-in failed: {why}", "Run `codetether auth codex` again."))
            return 400, f"Sign-in failed: {why}"
        try:
            done.set_result(await codex_oauth.exchange_code(base, query["code"], redirect, verifier))
        except CodetetherError as exc:
            done.set_exception(exc)
            return 500, "Sign-in failed: the token exchange was refused. See the terminal."
        return 200, "Signed in to CodeTether with ChatGPT. You can close this tab."

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1").split()
            while (await asyncio.wait_for(reader.readline(), 10)).strip():
                pass  # headers: nothing in them matters here
            status, page = await callback(request_line[1]) if len(request_line) >= 2 else (400, "Bad request.")
            body = f"<!doctype html><title>CodeTether</title><p>{page}</p>".encode()
            writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: text/html; "
                         f"charset=utf-8\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, OSError, UnicodeError):
            pass  # a browser that went away: keep waiting for the real callback
        finally:
            writer.close()

    try:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
    except OSError as exc:
        raise CodetetherError(f"cannot listen on 127.0.0.1:{port} for the sign-in callback ({exc.strerror})",
                              "Stop whatever uses that port (another sign-in?), or use --device-code.") from None
    print("Open this URL in a browser on this machine to sign in with ChatGPT:\n"
          f"  {codex_oauth.authorize_url(base, redirect, challenge, state)}\n"
          f"Waiting for the sign-in to finish (callback on port {port}; Ctrl-C to cancel)...", flush=True)
    try:
        return await asyncio.wait_for(done, LOGIN_TIMEOUT)
    except TimeoutError:
        raise CodetetherError(f"no sign-in callback within {LOGIN_TIMEOUT:.0f} s",
                              "Run `codetether auth codex` again, or `--device-code` on a machine without a browser.") \
            from None
    finally:
        server.close()


async def device_flow(base: str) -> dict[str, Any]:
    """OpenAI's device-code flow (as the Codex CLI uses it): a user code to enter, polled until approved."""
    import httpx

    from codetether.net import async_client

    api = f"{base}/api/accounts/deviceauth"
    async with async_client(base, timeout=30.0) as http:
        try:
            resp = await http.post(f"{api}/usercode", json={"client_id": codex_oauth.CLIENT_ID})
            start = resp.json() if resp.status_code == 200 else {}
        except (httpx.TransportError, ValueError) as exc:
            raise CodetetherError(f"could not start the device-code sign-in at {base} ({type(exc).__name__})",
                                  "Check the network and try again.") from None
        user_code = start.get("user_code") or start.get("usercode")
        if not (start.get("device_auth_id") and user_code):
            raise CodetetherError(f"{base} refused the device-code sign-in (HTTP {resp.status_code})",
                                  "Device codes may be disabled for the account: run `codetether auth codex` "
                                  "without --device-code.")
        print(f"Open {base}/codex/device and enter this one-time code (it expires in 15 minutes; never share "
              f"it):\n  {user_code}", flush=True)
        interval = _interval(start.get("interval"), base)
        poll = {"device_auth_id": start["device_auth_id"], "user_code": user_code}
        deadline = time.monotonic() + DEVICE_TIMEOUT
        while True:
            try:
                answer = await http.post(f"{api}/token", json=poll)
            except httpx.TransportError:
                answer = None  # a blip while the user is still typing the code: poll again
            if answer is not None and answer.status_code == 200:
                break
            if answer is not None and answer.status_code not in (403, 404):
                raise CodetetherError(f"the device-code sign-in failed (HTTP {answer.status_code})",
                                      "Run `codetether auth codex --device-code` again.")
            if time.monotonic() > deadline:
                raise CodetetherError("the device code expired before it was approved",
                                      "Run `codetether auth codex --device-code` again.")
            await asyncio.sleep(interval)
    try:
        grant = answer.json()
        code, verifier = grant["authorization_code"], grant["code_verifier"]
    except (ValueError, KeyError, TypeError):
        raise CodetetherError("the device-code sign-in answered without an authorization code",
                              "Run `codetether auth codex --device-code` again.") from None
    return await codex_oauth.exchange_code(base, code, f"{base}/deviceauth/callback", verifier)


def _interval(value: Any, base: str) -> float:
    """The device-code poll interval in seconds (default 5); anything else is a clear error, not a traceback."""
    text = str(value if value is not None else "").strip() or "5"
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 300:
        raise CodetetherError(f"{base} sent a device-code poll interval that is not a number of seconds: "
                              f"{text[:40]!r}", "Run `codetether auth codex` without --device-code, or try again later.")
    return seconds
