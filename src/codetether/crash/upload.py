"""Send queued crash reports in the codetether.crash.v1 envelope, falling back to the bare legacy body."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codetether import __version__
from codetether.config.paths import data_dir
from codetether.crash import DEFAULT_ENDPOINT, SCHEMA, spool_dir

TIMEOUT = 8.0
_LEGACY = {400, 404, 415, 422}  # older endpoints reject the envelope with one of these


def install_id() -> str:
    path = data_dir() / "telemetry" / "install_id"
    try:
        return path.read_text(encoding="utf-8").strip() or _new_id(path)
    except OSError:
        return _new_id(path)


def _new_id(path: Path) -> str:
    value = str(uuid.uuid4())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n", encoding="utf-8")
    except OSError:
        pass  # an ephemeral id still lets the endpoint group this run's reports
    return value


def auth_headers(env: dict[str, str] | None = None) -> dict[str, str]:
    from codetether.secrets import sealed

    env = sealed.environ() if env is None else env
    out = {}
    if (token := env.get("CODETETHER_CRASH_REPORT_AUTH_TOKEN", "").strip()):
        out["Authorization"] = f"Bearer {token}"
    if (key := env.get("CODETETHER_CRASH_REPORT_API_KEY", "").strip()):
        out["X-CodeTether-API-Key"] = key
    return out


def _post(url: str, body: Any, headers: dict[str, str], timeout: float) -> int:
    import urllib.error  # only when there is something to send: urllib.request pulls in http and ssl
    import urllib.request

    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def upload_pending(endpoint: str, timeout: float = TIMEOUT) -> int:
    """Upload every queued report, oldest first; delete the sent and the unreadable. Returns how many were sent."""
    endpoint = endpoint or DEFAULT_ENDPOINT
    files = sorted(spool_dir().glob("*.json"), key=lambda p: p.stat().st_mtime)
    if not files:
        return 0
    ident, sent = install_id(), 0
    base = {"User-Agent": f"codetether/{__version__}", "X-CodeTether-Source": "codetether-agent",
            "X-CodeTether-Install-Id": ident, "X-CodeTether-App-Version": __version__, **auth_headers()}
    for path in files:
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            report_id = str(report["report_id"])
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            continue
        headers = {**base, "X-CodeTether-Schema": SCHEMA, "X-CodeTether-Report-Id": report_id}
        envelope = {"schema": SCHEMA, "source": "codetether-agent", "install_id": ident, "report": report,
                    "sent_at": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        try:
            status = _post(endpoint, envelope, headers, timeout)
            if status in _LEGACY:
                status = _post(endpoint, report, {**headers, "X-CodeTether-Payload": "legacy"}, timeout)
        except (OSError, ValueError):
            return sent  # endpoint unreachable: keep the rest for the next start
        if 200 <= status < 300:
            path.unlink(missing_ok=True)
            sent += 1
    return sent


def start_upload() -> threading.Thread | None:
    """If reports are queued and reporting is enabled, upload them in a daemon thread; never raises."""
    try:
        if not any(spool_dir().glob("*.json")):
            return None  # the usual case: one directory listing, no config read
        from codetether.config.load import load

        config = load()
        if not config.get("telemetry.crash_reporting"):
            return None
        endpoint = config.get("telemetry.crash_report_endpoint")
    except Exception:
        return None
    thread = threading.Thread(target=_quiet_upload, args=(endpoint,), name="crash-upload", daemon=True)
    thread.start()
    return thread


def _quiet_upload(endpoint: str) -> None:
    try:
        upload_pending(endpoint)
    except Exception:
        pass  # reporting must never disturb the command the user asked for
