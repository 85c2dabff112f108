"""A process-wide list of secret values, scrubbed from anything shown, logged or stored."""

from __future__ import annotations

_SECRETS: set[str] = set()
MASK = "[REDACTED]"


def remember(value: str | None) -> None:
    # Very short values would mask ordinary words; real keys and tokens are longer.
    if value and len(value) >= 6:
        _SECRETS.add(value)


def redact(text: str) -> str:
    if not _SECRETS or not text:
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
