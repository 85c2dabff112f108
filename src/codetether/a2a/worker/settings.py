"""Everything a worker is started with: platform URL, identity, workspaces and timing, validated up front."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from codetether.config.env import env_number
from codetether.config.load import Config
from codetether.config.schema import BY_NAME
from codetether.errors import ConfigError, UsageError

AUTO_APPROVE = ("all", "safe", "none")
# Timing knobs (seconds) read from the environment; the defaults follow the platform's 30 s rhythm (spec §11.3-4).
TIMING_ENV = {"heartbeat_secs": ("CODETETHER_WORKER_HEARTBEAT_SECS", 30.0),
              "poll_secs": ("CODETETHER_WORKER_POLL_SECS", 30.0),
              "grace_secs": ("CODETETHER_WORKER_GRACE_SECS", 30.0),
              "reconnect_secs": ("CODETETHER_WORKER_RECONNECT_SECS", 1.0),
              "reconnect_max_secs": ("CODETETHER_WORKER_RECONNECT_MAX_SECS", 60.0)}


@dataclass
class WorkerSettings:
    server: str
    name: str
    workspaces: list[Path]
    token: str | None = None
    auto_approve: str = "safe"
    model: str | None = None
    max_concurrent: int = 4
    worker_id: str = field(default_factory=lambda: f"wrk_{int(time.time())}_{secrets.token_hex(8)}")
    heartbeat_secs: float = 30.0
    poll_secs: float = 30.0
    grace_secs: float = 30.0
    reconnect_secs: float = 1.0
    reconnect_max_secs: float = 60.0

    @property
    def hostname(self) -> str:
        return os.environ.get("HOSTNAME") or os.environ.get("COMPUTERNAME") or socket.gethostname() or "unknown"


def build_settings(*, server: str | None, token: str | None, name: str | None, workspaces: list[str],
                   codebases: str | None, auto_approve: str | None, model: str | None,
                   max_concurrent: int | None = None, env: Mapping[str, str] | None = None,
                   cwd: Path | None = None, config: Config | None = None) -> WorkerSettings:
    """Flags win over CODETETHER_SERVER / CODETETHER_TOKEN / CODETETHER_WORKER_NAME, which win over the config's
    [a2a] server_url, worker_name, codebases, auto_approve and max_concurrent; every mistake names its field."""
    from codetether.secrets import sealed

    get = config.get if config is not None else (lambda dotted: BY_NAME[dotted].default)
    env = sealed.environ() if env is None else env
    url = (server or env.get("CODETETHER_SERVER") or get("a2a.server_url") or "").strip()
    if not url:
        raise UsageError("the worker needs the platform's URL",
                         "Pass --server https://api.codetether.run, set CODETETHER_SERVER, or set [a2a] server_url "
                         "in the config (codetether config --set a2a.server_url=...).")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # A URL the worker cannot use is a bad server URL like an unreachable one: exit 1, not a usage error.
        raise ConfigError(f"--server / CODETETHER_SERVER is not an http(s) URL: {url!r}",
                          "Example: --server https://api.codetether.run")
    dirs = [*workspaces, *(p.strip() for p in (codebases or "").split(",") if p.strip())] or list(get("a2a.codebases"))
    settings = WorkerSettings(server=url.rstrip("/"), token=(token or env.get("CODETETHER_TOKEN") or "").strip() or None,
                              name=(name or env.get("CODETETHER_WORKER_NAME") or get("a2a.worker_name") or "").strip()
                              or f"codetether-{os.getpid()}",
                              workspaces=_workspaces(dirs, cwd or Path.cwd()),
                              auto_approve=auto_approve or get("a2a.auto_approve") or "safe", model=model or None)
    settings.max_concurrent = max_concurrent or int(env_number("CODETETHER_WORKER_MAX_CONCURRENT",
                                                               get("a2a.max_concurrent"), integer=True, env=env))
    for attr, (var, default) in TIMING_ENV.items():
        setattr(settings, attr, _seconds(env, var, default))
    return settings


def _workspaces(dirs: list[str], cwd: Path) -> list[Path]:
    if not dirs:
        return [cwd.resolve()]
    out: list[Path] = []
    for text in dirs:
        path = (cwd / Path(text).expanduser()).resolve()
        if not path.is_dir():
            raise UsageError(f"--workspace {text}: no such directory", "Give an existing project directory.")
        if path not in out:
            out.append(path)
    return out


def _seconds(env: Mapping[str, str], var: str, default: float) -> float:
    raw = env.get(var, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{var} must be a positive number of seconds, got {raw!r}")
    return value
