"""A `serve` process set up for many concurrent tasks; called before anything imports the a2a-sdk."""

from __future__ import annotations

import gc
import os


def prepare_process() -> None:
    # The a2a-sdk opens a tracing span around every call it makes (~6% of a task's CPU). serve sets up no tracer,
    # so they go nowhere; whoever exports traces says so with OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=true.
    os.environ.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")
    from codetether.a2a.queues import use_asyncio_queues
    from codetether.server import serve  # noqa: F401  # imported now, so what it makes is frozen below

    use_asyncio_queues()
    # Every task allocates thousands of short-lived objects (protocol messages, events): with the default
    # threshold the collector ran every 700 allocations, and each full pass walked the ~64,000 objects start-up made.
    # Those are frozen out of its sight, and it runs less often (~10% of a task's CPU in bench/a2a_serve.py).
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
