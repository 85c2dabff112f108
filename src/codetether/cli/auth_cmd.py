"""`codetether auth login|copilot|codex|cookies`: GitHub's device flow for Copilot here; the others beside it."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from codetether.errors import CodetetherError

# The public OAuth client id of GitHub's Copilot editor integrations; override with --client-id or the env var.
DEFAULT_CLIENT_ID = "Iv1.b507a08c87ecfe98"
CLIENT_ID_ENV = "CODETETHER_COPILOT_OAUTH_CLIENT_ID"
GITHUB_URL_ENV = "CODETETHER_COPILOT_GITHUB_URL"  # where /login/device/code lives (tests point it at 127.0.0.1)
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def execute(args: argparse.Namespace) -> int:
    if args.auth_command == "login":
        from codetether.cli import auth_login

        return asyncio.run(auth_login.run(args))
    if args.auth_command == "codex":
        from codetether.cli.auth_codex import run

        return asyncio.run(run(args))
    if args.auth_command == "cookies":
        from codetether.cli import auth_cookies

        return asyncio.run(auth_cookies.run(args))
    return asyncio.run(_copilot(args))


async def _copilot(args: argparse.Namespace) -> int:
    from codetether.secrets.local_vault import writable_settings
    from codetether.secrets.redact import remember
    from codetether.secrets.vault import VaultClient

    settings, where = writable_settings()
    enterprise = (args.enterprise_url or "").removeprefix("https://").removeprefix("http://").strip("/")
    github = (os.environ.get(GITHUB_URL_ENV) or (f"https://{enterprise}" if enterprise else "https://github.com"))
    client_id = args.client_id or os.environ.get(CLIENT_ID_ENV) or DEFAULT_CLIENT_ID
    token = await device_flow(github.rstrip("/"), client_id)
    remember(token)
    provider_id = "github-copilot-enterprise" if enterprise else "github-copilot"
    fields: dict[str, Any] = {"api_key": token}
    if enterprise:
        fields["enterpriseUrl"] = enterprise
    async with VaultClient(settings) as vault:
        await vault.write_provider(provider_id, fields)
    print(f"Signed in. The GitHub token is stored in {where} at {settings.mount}/{settings.path}/{provider_id}; "
          f"try: codetether run --model {provider_id}/gpt-5-mini \"hello\"")
    return 0


async def device_flow(github: str, client_id: str) -> str:
    """Ask for a device code, show it, and poll until the user approves (or the code expires)."""
    import httpx

    from codetether.net import async_client

    headers = {"Accept": "application/json", "User-Agent": "codetether"}
    async with async_client(github, timeout=30.0, headers=headers) as http:
        try:
            start = (await http.post(f"{github}/login/device/code",
                                     data={"client_id": client_id, "scope": "read:user"})).json()
        except (httpx.TransportError, ValueError) as exc:
            raise CodetetherError(f"could not start GitHub's device flow at {github} ({type(exc).__name__})",
                                  "Check the network, or --enterprise-url for GitHub Enterprise.") from None
        if "device_code" not in start:
            raise CodetetherError(f"GitHub refused the device flow: {start.get('error_description') or start}",
                                  f"Check --client-id (or {CLIENT_ID_ENV}).")
        print(f"Open {start.get('verification_uri')} and enter the code: {start.get('user_code')}", flush=True)
        interval = float(start.get("interval", 5))
        deadline = time.monotonic() + float(start.get("expires_in", 900))
        while time.monotonic() < deadline:
            await asyncio.sleep(interval)
            try:
                answer = (await http.post(f"{github}/login/oauth/access_token", data={
                    "client_id": client_id, "device_code": start["device_code"], "grant_type": GRANT})).json()
            except (httpx.TransportError, ValueError):
                continue  # a blip while the user is still typing the code: poll again
            if answer.get("access_token"):
                return str(answer["access_token"])
            error = answer.get("error")
            if error == "slow_down":
                interval += 5  # GitHub asks for this exact back-off
            elif error != "authorization_pending":
                raise CodetetherError(f"GitHub sign-in failed: {answer.get('error_description') or error}",
                                      "Run `codetether auth copilot` again.")
    raise CodetetherError("the GitHub device code expired before it was approved",
                          "Run `codetether auth copilot` again and enter the code within its time limit.")
