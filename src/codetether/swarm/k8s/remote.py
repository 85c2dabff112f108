"""The pod side of pod mode: run one subtask from its payload and report it as the executor reads it."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.errors import CodetetherError
from codetether.swarm.k8s.podspec import PROBE_PREFIX, RESULT_PREFIX, RemotePayload

POD_ISOLATION = "It is this pod's own directory: other sub-agents run in other pods and do not see your files."


def emit(prefix: str, data: dict[str, Any]) -> None:
    """One machine-read line on stdout (the pod's log)."""
    print(prefix + json.dumps(data, ensure_ascii=False), flush=True)


async def run_payload(text: str | None, env_name: str) -> int:
    """Decode, run and report; every failure is still a reported result, so the executor never waits in vain."""
    started = time.monotonic()
    try:
        if not text:
            raise CodetetherError(f"the payload variable {env_name} is empty or unset")
        try:
            payload = RemotePayload.decode(text)
        except ValueError as exc:
            raise CodetetherError(f"the payload in {env_name} is unusable: {exc}") from None
    except CodetetherError as exc:
        return _failed("unknown", exc.message, started)
    try:
        return await _run(payload, started)
    except CodetetherError as exc:
        return _failed(payload.subtask_id, exc.message, started)


async def _run(payload: RemotePayload, started: float) -> int:
    from codetether.agent.assembly import tool_router
    from codetether.agent.factory import connect_mcp
    from codetether.agent.prompt import project_instructions
    from codetether.config.load import load
    from codetether.config.swarm import swarm_config
    from codetether.provider.registry import resolve_model
    from codetether.swarm.limiter import SharedLimiter
    from codetether.swarm.plan import Subtask
    from codetether.swarm.store import ResultStore
    from codetether.swarm.subagent import Runtime, run_subagent

    workdir = Path(payload.working_dir or ".").expanduser().resolve()
    if not workdir.is_dir():
        raise CodetetherError(f"the working directory {workdir} does not exist in this pod")
    config = load()
    # The pod's own [swarm] table (image or ConfigMap) tunes pacing; the payload decides what the swarm decided.
    cfg = swarm_config(config.extra, str(config.path or "config")).with_overrides(
        max_steps_per_subagent=payload.max_steps, subagent_timeout_secs=payload.timeout_secs, max_retries=0,
        working_dir=str(workdir), record_sessions=False, execution_mode="local")
    resolved = await resolve_model(f"{payload.provider}/{payload.model}", config)
    mcp, router = None, tool_router()
    try:
        mcp = await connect_mcp(config)
        limiter = SharedLimiter(cfg.max_concurrent_requests, cfg.request_delay_ms, cfg.max_delay_ms)
        limiter.attach(resolved.provider)
        rt = Runtime(cfg, resolved.provider, resolved.model, limiter, config, ResultStore(),
                     resolved.context_window, project_instructions(workdir, workdir), isolation=POD_ISOLATION,
                     extra_tools=mcp.tools if mcp else [], router=router)
        sub = Subtask(payload.subtask_id, payload.subtask_name, payload.instruction, payload.specialty or "Generalist")
        probing = asyncio.create_task(_probe(sub.id, workdir, payload.probe_interval_secs))
        try:
            outcome = await run_subagent(rt, sub, workdir, True, payload.context, _log_tools(sub.id))
        finally:
            probing.cancel()
    finally:
        await resolved.provider.aclose()
        if mcp is not None:
            await mcp.aclose()
        if router is not None:
            await router.aclose()
    result = outcome.result
    success = outcome.exit_reason is ev.ExitReason.COMPLETED
    emit(RESULT_PREFIX, {
        "subtask_id": sub.id, "subagent_id": f"agent-{sub.id}", "success": success,
        "result": result.text if result else "", "steps": result.steps if result else 0,
        "tool_calls": outcome.tool_calls, "execution_time_ms": int((time.monotonic() - started) * 1000),
        "error": outcome.error, "artifacts": [], "retry_count": 0, "exit_reason": outcome.exit_reason,
        "changed_files": await asyncio.to_thread(_changed_files, workdir),
        "usage": {"prompt_tokens": rt.usage.prompt_tokens, "completion_tokens": rt.usage.completion_tokens}})
    return 0 if success else 1


def _failed(subtask_id: str, message: str, started: float) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    emit(RESULT_PREFIX, {"subtask_id": subtask_id, "subagent_id": f"agent-{subtask_id}", "success": False,
                         "result": "", "steps": 0, "tool_calls": 0,
                         "execution_time_ms": int((time.monotonic() - started) * 1000), "error": message,
                         "artifacts": [], "retry_count": 0, "exit_reason": ev.ExitReason.ERROR, "retryable": False})
    return 1


def _log_tools(subtask_id: str) -> ev.EventSink:
    def sink(event: ev.Event) -> None:
        if isinstance(event, ev.ToolCallStarted):
            print(f"[{subtask_id}] tool {event.name}", file=sys.stderr, flush=True)

    return sink


async def _probe(subtask_id: str, workdir: Path, interval: float) -> None:
    """CT_SUBTASK_PROBE lines for the collapse controller, while the work tree is a git checkout."""
    from codetether.gitinfo import git_lines
    from codetether.swarm.collapse import observe

    if (await asyncio.to_thread(git_lines, workdir, ("rev-parse", "--is-inside-work-tree")))[0] is None:
        return
    while True:
        await asyncio.sleep(interval)
        obs = await asyncio.to_thread(observe, subtask_id, workdir)
        emit(PROBE_PREFIX, {"subtask_id": subtask_id, "compile_ok": obs.compile_ok,
                            "changed_files": sorted(obs.changed_files), "changed_lines": obs.changed_lines})


def _changed_files(workdir: Path) -> list[str]:
    from codetether.swarm.collapse import observe

    return sorted(observe("", workdir).changed_files)  # outside a git checkout: none known
