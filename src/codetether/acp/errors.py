"""Every failure a handler meets becomes a JSON-RPC error whose message says what is wrong and what to do."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from acp import RequestError

from codetether.errors import CodetetherError
from codetether.secrets.redact import redact

log = logging.getLogger("codetether.acp")
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

INVALID_PARAMS, INTERNAL, AUTH_REQUIRED, NOT_FOUND = -32602, -32603, -32000, -32002


def error(code: int, message: str) -> RequestError:
    message = redact(message)
    return RequestError(code, message, {"details": message})


def invalid_params(message: str) -> RequestError:
    return error(INVALID_PARAMS, message)


def from_codetether(exc: CodetetherError) -> RequestError:
    from codetether.provider.errors import NoProvidersError, UnknownModelError

    text = exc.message + (f"\n{exc.hint}" if exc.hint else "")
    missing_key = isinstance(exc, NoProvidersError) or (isinstance(exc, UnknownModelError) and "no secret" in text)
    return error(AUTH_REQUIRED if missing_key else INVALID_PARAMS, text)


def guarded(method: F) -> F:
    """Handler wrapper: CodetetherError -> a clear error, anything unexpected -> one log line and -32603. While it
    runs, its task is in the handler object's `inflight` set, so shutdown can let it answer first."""

    @functools.wraps(method)
    async def wrapper(owner: Any, *args: Any, **kwargs: Any) -> Any:
        task = asyncio.current_task()
        owner.inflight.add(task)
        try:
            return await method(owner, *args, **kwargs)
        except RequestError:
            raise
        except CodetetherError as exc:
            raise from_codetether(exc) from None
        except Exception as exc:
            log.error("%s failed: %s: %s", method.__name__, type(exc).__name__, redact(str(exc)),
                      exc_info=log.isEnabledFor(logging.DEBUG))
            raise error(INTERNAL, f"internal error in {method.__name__} ({type(exc).__name__}: {exc})") from None
        finally:
            owner.inflight.discard(task)

    return wrapper  # type: ignore[return-value]
