"""One limiter shared by every sub-agent: request concurrency and spacing, backing everyone off on a 429."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from codetether.provider.client import RETRYABLE, _retry_after
from codetether.provider.model import CompletionRequest, CompletionResponse

MIN_BACKOFF_S = 0.1  # a 429 raises the spacing at least this far, even when the base spacing is 0


@dataclass
class RateLimitStats:
    total_requests: int = 0
    rate_limit_hits: int = 0
    retry_count: int = 0  # retryable responses (429, 5xx) the provider client went on to retry
    current_rpm: int = 0
    avg_delay_ms: float = 0.0  # mean time a request waited in the limiter
    adaptive_delay_ms: float = 0.0
    last_rate_limit_info: dict[str, Any] | None = None
    last_request_timestamp_secs: float | None = None
    llm_busy_ms: int = 0  # wall time with at least one request in flight (the rest is orchestration and tools)
    llm_total_ms: int = 0  # the requests' latencies summed
    _waited_ms: float = field(default=0.0, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_waited_ms")
        return data


class SharedLimiter:
    """Concurrency via a semaphore, spacing via reserved start times; both adapt to rate-limit signals."""

    def __init__(self, max_concurrent: int, delay_ms: int, max_delay_ms: int = 30_000):
        self._slots = asyncio.Semaphore(max_concurrent)
        self.base_delay = delay_ms / 1000
        self.delay = self.base_delay
        self.max_delay = max(max_delay_ms / 1000, self.base_delay)
        self._next_start = 0.0
        self._backoff_until = 0.0
        self._recent: deque[float] = deque()
        self.stats = RateLimitStats(adaptive_delay_ms=delay_ms)
        self._in_flight, self._busy_since = 0, 0.0

    def attach(self, provider: Any) -> None:
        """Watch the provider's HTTP responses: the client retries a 429 itself, the limiter slows everyone."""
        provider.add_response_hook(self._observe)

    async def acquire(self) -> None:
        await self._slots.acquire()
        try:
            asked = time.monotonic()
            while True:
                now = time.monotonic()
                start = max(now, self._next_start, self._backoff_until)
                self._next_start = start + self.delay  # reserve our start; the next request queues behind it
                if start > now:
                    await asyncio.sleep(start - now)
                if time.monotonic() >= self._backoff_until:
                    break  # else a 429 arrived while we waited: queue again behind the back-off
        except BaseException:
            self._slots.release()
            raise
        self._count(time.monotonic() - asked)

    def release(self) -> None:
        self._slots.release()

    def started(self) -> float:
        if self._in_flight == 0:
            self._busy_since = time.monotonic()
        self._in_flight += 1
        return time.monotonic()

    def finished(self, since: float) -> None:
        now = time.monotonic()
        self._in_flight -= 1
        self.stats.llm_total_ms += int((now - since) * 1000)
        if self._in_flight == 0:
            self.stats.llm_busy_ms += int((now - self._busy_since) * 1000)

    def wrap(self, model: Any, before: Callable[[], None] | None = None) -> LimitedModel:
        return LimitedModel(model, self, before)

    def _count(self, waited: float) -> None:
        now = time.monotonic()
        stats = self.stats
        stats.total_requests += 1
        stats._waited_ms += waited * 1000
        stats.avg_delay_ms = round(stats._waited_ms / stats.total_requests, 1)
        stats.last_request_timestamp_secs = round(time.time(), 3)
        self._recent.append(now)
        while self._recent and self._recent[0] < now - 60:
            self._recent.popleft()
        stats.current_rpm = len(self._recent)

    async def _observe(self, response: httpx.Response) -> None:
        status, headers = response.status_code, response.headers
        info = _limit_info(headers)
        if status == 429:
            self.stats.rate_limit_hits += 1
            retry_after = _retry_after(headers)
            self.delay = min(self.max_delay, max(self.delay * 2, MIN_BACKOFF_S))
            pause = retry_after if retry_after is not None else self.delay
            self._backoff_until = max(self._backoff_until, time.monotonic() + min(pause, self.max_delay))
            info["retry_after_secs"] = retry_after
        elif status < 400:
            ratio = info["remaining"] / info["limit"] if info.get("remaining") is not None and info.get("limit") \
                else None
            if ratio is not None and ratio < 0.1:
                self.delay = min(self.max_delay, max(self.delay * 1.5, MIN_BACKOFF_S))
            elif ratio is not None and ratio < 0.3:
                self.delay = min(self.max_delay, max(self.delay * 1.2, MIN_BACKOFF_S))
            else:
                self.delay = max(self.base_delay, self.delay * 0.8)  # recover toward the configured spacing
        if status in RETRYABLE:
            self.stats.retry_count += 1
        if any(v is not None for v in info.values()):
            self.stats.last_rate_limit_info = info
        self.stats.adaptive_delay_ms = round(self.delay * 1000, 1)


class LimitedModel:
    """A ChatModel whose every request passes the shared limiter (and an optional budget check)."""

    def __init__(self, inner: Any, limiter: SharedLimiter, before: Callable[[], None] | None = None):
        self.inner, self.limiter, self.before = inner, limiter, before

    async def complete(self, request: CompletionRequest, on_delta: Any = None) -> CompletionResponse:
        if self.before is not None:
            self.before()
        await self.limiter.acquire()
        since = self.limiter.started()
        try:
            return await self.inner.complete(request, on_delta)
        finally:
            self.limiter.finished(since)
            self.limiter.release()


def _limit_info(headers: httpx.Headers) -> dict[str, Any]:
    def number(*names: str) -> float | None:
        for name in names:
            try:
                return float(headers[name])
            except (KeyError, ValueError):
                continue
        return None

    return {"remaining": number("x-ratelimit-remaining", "x-ratelimit-remaining-requests"),
            "limit": number("x-ratelimit-limit", "x-ratelimit-limit-requests"),
            "reset_secs": number("x-ratelimit-reset-after", "x-ratelimit-reset")}
