"""`codetether worker`: connect to the CodeTether platform and process its tasks until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from codetether.secrets.redact import redact, remember


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def execute(args: argparse.Namespace) -> int:
    _log_to_stderr()
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from codetether.a2a.worker.models import available_models
    from codetether.a2a.worker.settings import build_settings
    from codetether.a2a.worker.worker import Worker
    from codetether.config.load import load

    config = load()
    settings = build_settings(server=getattr(args, "server", None) or getattr(args, "root_server", None),
                              token=getattr(args, "token", None) or getattr(args, "root_token", None),
                              name=getattr(args, "name", None) or getattr(args, "root_name", None),
                              workspaces=getattr(args, "workspace", None) or [],
                              codebases=getattr(args, "codebases", None),
                              auto_approve=getattr(args, "auto_approve", None),
                              model=getattr(args, "model", None), max_concurrent=getattr(args, "max_concurrent", None),
                              config=config)
    remember(settings.token)
    worker = Worker(settings, config, await available_models(config, settings.model))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.request_stop, sig.name)
    try:
        code = await worker.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    logging.getLogger("codetether.worker").info("worker %s stopped", settings.worker_id)
    return code


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s worker: %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("codetether.worker")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
