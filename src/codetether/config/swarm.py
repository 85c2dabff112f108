"""SwarmConfig: the seed's defaults, overridable in the config file's `[swarm]` table."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from codetether.errors import ConfigError

MAX_SUBAGENTS = 100
MAX_TOOL_CALLS = 1500
STRATEGIES = ("auto", "domain", "data", "stage", "none")
EXECUTION_MODES = ("local", "k8s")
# Names the seed accepts for pod mode; all mean "k8s".
MODE_ALIASES = {"kubernetes": "k8s", "kubernetes-pod": "k8s", "kubernetes_pod": "k8s", "pod": "k8s",
                "local-thread": "local", "local_thread": "local"}


@dataclass(frozen=True)
class SwarmConfig:
    max_subagents: int = MAX_SUBAGENTS
    max_steps_per_subagent: int = 100
    max_total_steps: int = MAX_TOOL_CALLS  # tool calls across every sub-agent of one swarm
    subagent_timeout_secs: int = 600
    parallel_enabled: bool = True
    critical_path_threshold: int = 10
    model: str | None = None
    max_concurrent_requests: int = 3
    request_delay_ms: int = 1000  # spacing between the starts of two provider requests
    worktree_enabled: bool = True
    worktree_auto_merge: bool = True
    collapse_enabled: bool = False
    collapse_sample_secs: float = 5.0
    working_dir: str | None = None
    execution_mode: str = "local"
    k8s_pod_budget: int = 8
    k8s_subagent_image: str | None = None
    k8s_poll_secs: float = 2.0  # how often a running pod's state is read
    k8s_service_account: str | None = None  # sub-agent pods run as this service account (Vault k8s auth)
    max_retries: int = 3
    base_delay_ms: int = 500
    max_delay_ms: int = 30_000
    cache_enabled: bool = True
    cache_ttl_secs: int = 86_400
    record_sessions: bool = True  # one session record per sub-agent in the session store

    def with_overrides(self, **values: Any) -> SwarmConfig:
        """A copy with the given (non-None) fields replaced, validated like the file."""
        clean = {k: v for k, v in values.items() if v is not None}
        return _validated(replace(self, **clean), "command line")


_INT_MINIMUMS = {"max_subagents": 1, "max_steps_per_subagent": 1, "max_total_steps": 1, "subagent_timeout_secs": 1,
                 "critical_path_threshold": 0, "max_concurrent_requests": 1, "request_delay_ms": 0,
                 "k8s_pod_budget": 1, "max_retries": 0, "base_delay_ms": 0, "max_delay_ms": 0, "cache_ttl_secs": 0}


def swarm_config(extra: dict[str, Any], source: str = "config") -> SwarmConfig:
    """Build the config from `Config.extra['swarm']`; every bad key or value names itself and the fix."""
    table = extra.get("swarm") or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [swarm] must be a table")
    known = {f.name: f for f in fields(SwarmConfig)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{source}: unknown key 'swarm.{key}'", f"Known keys: {', '.join(sorted(known))}")
        values[key] = _typed(key, value, known[key].type, source)
    return _validated(SwarmConfig(**values), source)


def _typed(key: str, value: Any, type_name: Any, source: str) -> Any:
    kind = str(type_name)
    if kind.startswith("bool"):
        ok = isinstance(value, bool)
    elif kind.startswith("int"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind.startswith("float"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        word = kind.split(" ")[0].replace("str", "a string").replace("int", "an integer").replace(
            "bool", "true or false").replace("float", "a number")
        raise ConfigError(f"{source}: 'swarm.{key}' must be {word}, got {value!r}")
    return value


def _validated(cfg: SwarmConfig, source: str) -> SwarmConfig:
    for key, minimum in _INT_MINIMUMS.items():
        if getattr(cfg, key) < minimum:
            raise ConfigError(f"{source}: 'swarm.{key}' must be at least {minimum}, got {getattr(cfg, key)}")
    if cfg.max_subagents > MAX_SUBAGENTS:
        raise ConfigError(f"{source}: 'swarm.max_subagents' must be at most {MAX_SUBAGENTS}, got {cfg.max_subagents}")
    cfg = replace(cfg, execution_mode=MODE_ALIASES.get(cfg.execution_mode, cfg.execution_mode))
    if cfg.execution_mode not in EXECUTION_MODES:
        raise ConfigError(f"{source}: 'swarm.execution_mode' must be one of {', '.join(EXECUTION_MODES)} "
                          f"(or {', '.join(a for a in MODE_ALIASES if '_' not in a)}), got {cfg.execution_mode!r}")
    for key in ("collapse_sample_secs", "k8s_poll_secs"):
        if getattr(cfg, key) <= 0:
            raise ConfigError(f"{source}: 'swarm.{key}' must be above 0")
    return cfg
