"""`codetether auth login PROVIDER`: an API key, typed without echo (or piped with --key-stdin), stored in Vault."""

from __future__ import annotations

import argparse
import sys

from codetether.errors import UsageError

# Providers whose credential is not an API key: the command that stores theirs.
OTHER_SIGN_IN = {"openai-codex": "codetether auth codex", "github-copilot": "codetether auth copilot",
                 "github-copilot-enterprise": "codetether auth copilot --enterprise-url DOMAIN",
                 "gemini-web": "codetether auth cookies --provider gemini-web --file cookies.txt",
                 "local_cuda": "export LOCAL_CUDA_MODEL_PATH=/path/to/model.gguf",
                 "vertex-glm": "vault kv put ... service_account_json=@key.json (see the README)",
                 "vertex-anthropic": "vault kv put ... service_account_json=@key.json (see the README)"}
KEY_ONLY = {"brave", "tavily"}  # websearch backends: a key under the same path, no endpoint needed


async def run(args: argparse.Namespace) -> int:
    from codetether.provider.catalog import PROVIDERS, canonical
    from codetether.secrets.local_vault import writable_settings
    from codetether.secrets.redact import remember
    from codetether.secrets.vault import VaultClient

    given = args.provider.strip()
    provider_id = canonical(given) if canonical(given) in PROVIDERS else given
    if provider_id in OTHER_SIGN_IN:
        raise UsageError(f"{provider_id} does not sign in with an API key", f"Use: {OTHER_SIGN_IN[provider_id]}")
    spec = PROVIDERS.get(provider_id)
    if not provider_id or "/" in provider_id:
        raise UsageError(f"not a provider id: {given!r}", "Use a name like openai, anthropic or my-endpoint.")
    base_url = _check_url(args.base_url) if args.base_url else None
    if base_url is None and provider_id not in KEY_ONLY and (spec is None or spec.base_url is None):
        raise UsageError(f"provider '{provider_id}' needs --base-url (its endpoint differs per account"
                         f"{'' if spec else ', and it is not a built-in provider'})",
                         f"e.g. codetether auth login {provider_id} --base-url https://host/v1"
                         + ("" if spec else f"\nBuilt-in providers: {', '.join(sorted(PROVIDERS))}"))
    key = _read_key(provider_id, args.key_stdin)
    remember(key)
    settings, where = writable_settings()
    fields = {"api_key": key, **({"base_url": base_url} if base_url else {})}
    async with VaultClient(settings) as vault:
        await vault.write_provider(provider_id, fields)
    model = spec.default_model if spec and spec.default_model else "<model>"
    print(f"Stored the {provider_id} API key in {where} at {settings.mount}/{settings.path}/{provider_id}"
          + (f" (base URL {base_url})" if base_url else "") + ".")
    if provider_id not in KEY_ONLY:
        print(f"Try: codetether run --model {provider_id}/{model} \"hello\"")
    return 0


def _read_key(provider_id: str, from_stdin: bool) -> str:
    if from_stdin:
        lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
        if len(lines) > 1:
            raise UsageError("--key-stdin read more than one line", "Pipe in the key alone.")
        key = lines[0] if lines else ""
    elif sys.stdin.isatty():
        import getpass

        try:
            key = getpass.getpass(f"{provider_id} API key (typing is hidden): ").strip()
        except EOFError:
            key = ""
    else:
        raise UsageError("standard input is not a terminal, so the key cannot be asked for",
                         f"Pipe it in with --key-stdin: printf %s \"$KEY\" | codetether auth login {provider_id} "
                         "--key-stdin")
    if not key:
        raise UsageError("no API key was given", "Nothing was stored.")
    return key


def _check_url(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f"--base-url is not an http(s) URL: {url!r}", "e.g. --base-url http://127.0.0.1:8000/v1")
    return url.strip().rstrip("/")
