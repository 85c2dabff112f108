"""Authentication the ACP way: keys live in Vault and are stored with `codetether auth …`, never sent over ACP."""

from __future__ import annotations

from typing import Any

from acp.schema import AuthMethodAgent, TerminalAuthMethod

from codetether.acp.errors import AUTH_REQUIRED, error, from_codetether, invalid_params
from codetether.config.load import Config
from codetether.errors import CodetetherError

VAULT = "vault"
# Sign-ins `codetether acp --login <id>` runs in a terminal the editor opens (clients with auth.terminal):
# the OAuth flows, and `auth login <provider>` (the key asked for without echo) for the common providers.
TERMINAL_LOGINS = {"codex": "Sign in with ChatGPT (OpenAI Codex)", "copilot": "Sign in with GitHub Copilot",
                   "openai": "OpenAI API key", "anthropic": "Anthropic API key", "openrouter": "OpenRouter API key",
                   "moonshotai": "Moonshot AI API key"}
VAULT_HELP = ("CodeTether reads provider keys from Vault: the local one it runs itself, or yours when the editor "
              "starts it with VAULT_ADDR and VAULT_TOKEN. Store a key in a terminal with `codetether auth login "
              "<provider>` (or `codetether auth codex`, `codetether auth copilot`), then try again.")


def auth_methods(terminal: bool) -> list[Any]:
    methods: list[Any] = [AuthMethodAgent(id=VAULT, name="Provider keys in Vault", description=VAULT_HELP)]
    if terminal:
        methods += [TerminalAuthMethod(type="terminal", id=login, name=name, args=["--login", login],
                                       description=f"Runs `codetether {' '.join(login_command(login))}`; the "
                                                   "credential goes to Vault, never over ACP")
                    for login, name in TERMINAL_LOGINS.items()]
    return methods


def login_command(login: str) -> list[str]:
    """The `codetether` arguments a sign-in runs: the OAuth flows by name, else `auth login PROVIDER`."""
    return ["auth", login] if login in ("codex", "copilot") else ["auth", "login", login]


async def check(config: Config, method_id: str) -> None:
    """`authenticate`: succeed when a model can be resolved now; otherwise say how to store a key."""
    if method_id in TERMINAL_LOGINS:
        raise invalid_params(f"'{method_id}' is a terminal sign-in: run `codetether "
                             f"{' '.join(login_command(method_id))}` in a terminal, then reconnect")
    if method_id != VAULT:
        raise invalid_params(f"unknown authentication method '{method_id}'; this agent offers: "
                             + ", ".join([VAULT, *TERMINAL_LOGINS]))
    from codetether.provider.registry import resolve_model

    try:
        resolved = await resolve_model(None, config)
    except CodetetherError as exc:
        failure = from_codetether(exc)
        raise error(AUTH_REQUIRED, f"{failure}\n{VAULT_HELP}") from None
    await resolved.provider.aclose()
