"""Build a crash report with no source code, keys or secrets, and queue it in the spool directory."""

from __future__ import annotations

import json
import os
import platform
import re
import threading
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codetether import __version__
from codetether.crash import spool_dir
from codetether.secrets.redact import MASK, redact

KEEP = 50  # newest reports kept in the spool
_SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION", re.I)
_SECRET_FLAG = re.compile(r"^--?[\w-]*(token|key|secret|password|passwd|auth|credential)[\w-]*$", re.I)
_ASSIGNMENT = re.compile(r"((?:token|key|secret|password|passwd|auth)[\w-]*=)\S+", re.I)


def scrub(text: str, env: dict[str, str] | None = None) -> str:
    """Remove every known secret: Vault values seen by this process and secret-looking environment values."""
    from codetether.secrets import sealed

    env = sealed.environ() if env is None else env
    text = redact(text)
    values = sorted((v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6), key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return _ASSIGNMENT.sub(lambda m: m.group(1) + MASK, text)


def scrub_argv(argv: list[str], env: dict[str, str] | None = None) -> str:
    """The command line with the value after --token/--api-key-like flags masked."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        flag, eq, _ = arg.partition("=")
        if _SECRET_FLAG.match(flag):
            out.append(f"{flag}={MASK}" if eq else arg)
            hide_next = not eq
            continue
        out.append(arg)
    return scrub(" ".join(out), env)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def build_report(exc: BaseException, argv: list[str]) -> dict[str, Any]:
    """The v1 report (spec §15); the trace names files, lines and functions only, never source lines."""
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    trace = "\n".join(f"  at {f.name} ({f.filename}:{f.lineno})" for f in frames)
    return {"report_version": 1, "report_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "app_version": __version__,
            "command_line": _cut(scrub_argv(["codetether", *argv]), 1024),
            "os": platform.system().lower(), "arch": platform.machine(), "process_id": os.getpid(),
            "thread_name": threading.current_thread().name or "unnamed",
            "panic_message": _cut(scrub(f"{type(exc).__name__}: {exc}"), 2048),
            "panic_location": f"{last.filename}:{last.lineno}:{(last.colno or 0) + 1}" if last else None,
            "backtrace": _cut(scrub(f"{type(exc).__name__}\n{trace}"), 32000)}


def queue_report(report: dict[str, Any]) -> Path:
    """Write the report atomically into the spool and keep only the newest KEEP."""
    from codetether.tool.support.fsutil import atomic_write

    folder = spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
    path = folder / f"{stamp}-{report['report_id']}.json"
    atomic_write(path, json.dumps(report, indent=2))
    reports = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in reports[KEEP:]:
        old.unlink(missing_ok=True)
    return path
