"""The agent card `codetether serve` publishes (A2A 1.0, with the 0.3 fields the SDK derives)."""

from __future__ import annotations

from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)

from codetether import __version__

NAME = "CodeTether Agent"
DESCRIPTION = "A2A-native AI coding agent"
_SKILLS = (
    ("code-generation", "Code Generation", "Write, edit, and refactor code", ("code", "programming"),
     ("Add a --verbose flag to the CLI", "Refactor utils.py into smaller functions")),
    ("code-review", "Code Review", "Review code for bugs, style and design problems", ("review", "quality"),
     ("Review the changes in src/server.py", "What could go wrong in this function?")),
    ("debugging", "Debugging", "Debug and fix code issues", ("debug", "fix"),
     ("parse_date() crashes on an empty string, fix it", "Why does the app hang on start-up?")),
)


def build_card(url: str, *, bearer: bool = False) -> AgentCard:
    """The card for an agent reachable at `url`; `bearer` declares that calls need a bearer token."""
    # Two interfaces on one endpoint: 1.0 for current clients, 0.3 so the SDK also emits the legacy fields
    # (url, protocolVersion, preferredTransport) that the original CodeTether clients read.
    interfaces = [AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version=v) for v in ("1.0", "0.3")]
    card = AgentCard(
        name=NAME, description=DESCRIPTION, version=__version__, supported_interfaces=interfaces,
        provider=AgentProvider(organization="CodeTether", url="https://codetether.ai"),
        capabilities=AgentCapabilities(streaming=True, push_notifications=False),
        default_input_modes=["text/plain"], default_output_modes=["text/plain", "application/json"],
        skills=[AgentSkill(id=i, name=n, description=d, tags=list(t), examples=list(e),
                           input_modes=["text/plain"], output_modes=["text/plain"]) for i, n, d, t, e in _SKILLS],
    )
    if bearer:
        card.security_schemes["bearer"].CopyFrom(
            SecurityScheme(http_auth_security_scheme=HTTPAuthSecurityScheme(scheme="bearer")))
        card.security_requirements.append(SecurityRequirement(schemes={"bearer": StringList()}))
    return card
