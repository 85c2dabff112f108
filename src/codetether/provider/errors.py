"""Provider failures, each saying which provider and what to do."""

from __future__ import annotations

from codetether.errors import CodetetherError


class ProviderError(CodetetherError):
    pass


class NoProvidersError(ProviderError):
    pass


class UnknownModelError(ProviderError):
    pass


class ProviderAuthError(ProviderError):
    """The provider rejected the credentials (401/403); retrying cannot help."""


class ProviderRequestError(ProviderError):
    """The provider refused the request itself (4xx other than 401/403/429)."""


class ContextOverflowError(ProviderRequestError):
    """The provider refused the request as longer than the model's context window; `limit` as it stated it."""

    def __init__(self, message: str, limit: int | None = None, prompt_tokens: int | None = None):
        super().__init__(message)
        self.limit, self.prompt_tokens = limit, prompt_tokens


class ProviderUnavailableError(ProviderError):
    """Rate limits, 5xx or network failures that outlasted every retry."""


class ProviderProtocolError(ProviderError):
    """The provider's response could not be understood."""


class StreamError(Exception):
    """An error event inside a stream; transient ones (overload, rate limit) may be retried."""

    TRANSIENT = ("overloaded", "rate_limit", "rate limit", "api_error", "server_error", "timeout", "unavailable",
                 "throttl", "internalserver")

    def __init__(self, detail: object):
        text = str(detail)
        super().__init__(f"sent an error mid-stream: {text[:300]}")
        self.transient = any(word in text.lower() for word in self.TRANSIENT)
