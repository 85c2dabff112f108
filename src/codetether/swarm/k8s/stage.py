"""One subtask in Kubernetes pods: create, watch, read the reported result, retry with backoff, always delete."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codetether.agent.events import ExitReason
from codetether.provider.model import Usage
from codetether.swarm.collapse import Observation
from codetether.swarm.k8s.client import K8sError, PodApi
from codetether.swarm.k8s.podspec import (
    DEFAULT_IMAGE,
    PROBE_PREFIX,
    RESULT_PREFIX,
    RemotePayload,
    fallback_answer,
    last_line,
    pod_manifest,
    pod_name,
)
from codetether.swarm.k8s.state import PodFailure, PodState, missing_pod_health
from codetether.swarm.plan import Subtask
from codetether.swarm.result import SubTaskResult
from codetether.swarm.subagent import BudgetExhausted, Runtime, backoff, elapsed_ms

if TYPE_CHECKING:
    from codetether.swarm.executor import SwarmExecutor

LOG_TAIL = 20  # log lines quoted when a pod ends without reporting a result


@dataclass
class PodOutcome:
    reason: ExitReason  # as for local sub-agents
    error: str | None = None
    retryable: bool = True
    reported: dict[str, Any] = field(default_factory=dict)


async def run_pod(ex: SwarmExecutor, rt: Runtime, api: PodApi, sub: Subtask, context: str,
                  stage: int) -> SubTaskResult:
    """The pod counterpart of run_one: the same retries, budget and result shape."""
    started = time.monotonic()
    name = pod_name(ex.swarm_id, sub.id)
    ex.progress.running += 1
    ex.report(f"{sub.id}: started in pod {api.namespace}/{name} ({sub.name})", ex.progress)
    ex.status(sub.id, "running", stage)
    attempt, outcome = 0, PodOutcome(ExitReason.ERROR)
    try:
        while True:
            attempt += 1
            try:
                rt.check_budget()
            except BudgetExhausted as exc:
                outcome = PodOutcome(ExitReason.BUDGET, exc.message, False)
                break
            outcome = await attempt_pod(ex, rt, api, sub, context, stage, name)
            _account(rt, outcome.reported)
            if outcome.reason in (ExitReason.COMPLETED, ExitReason.BUDGET) or not outcome.retryable or attempt > rt.cfg.max_retries:
                break
            ex.report(f"{sub.id}: attempt {attempt} failed ({outcome.error}); retrying", ex.progress)
            await asyncio.sleep(backoff(attempt, rt.cfg.base_delay_ms, rt.cfg.max_delay_ms))
    finally:
        ex.progress.running -= 1
    reported = outcome.reported
    result = SubTaskResult(sub.id, str(reported.get("subagent_id") or f"agent-{sub.id}"),
                           outcome.reason is ExitReason.COMPLETED, str(reported.get("result") or ""), name=sub.name,
                           stage=stage, retry_count=attempt - 1, error=outcome.error)
    result.steps, result.tool_calls = _int(reported.get("steps")), _int(reported.get("tool_calls"))
    files = reported.get("changed_files")
    result.changed_files = [str(f) for f in files] if isinstance(files, list) else []
    result.execution_time_ms = max(1, elapsed_ms(started))
    if result.success:
        ex.progress.done += 1
    else:
        ex.progress.failed += 1
    ex.status(sub.id, "completed" if result.success else "failed", stage, result,
              None if result.success else result.error or outcome.reason)
    ex.report(f"{sub.id}: {'done' if result.success else 'failed: ' + (result.error or outcome.reason)} "
              f"({result.steps} steps, {result.tool_calls} tool calls)", ex.progress)
    return result


async def attempt_pod(ex: SwarmExecutor, rt: Runtime, api: PodApi, sub: Subtask, context: str, stage: int,
                      name: str) -> PodOutcome:
    cfg = rt.cfg
    payload = RemotePayload(ex.swarm_id, sub.id, sub.name, sub.specialty, sub.instruction, context,
                            rt.provider.id, rt.model, cfg.max_steps_per_subagent, cfg.subagent_timeout_secs,
                            cfg.working_dir, sub.needs_worktree is False or ex.read_only is not None, False,
                            cfg.collapse_sample_secs)
    manifest = pod_manifest(payload, name=name, namespace=api.namespace, stage=stage,
                            image=cfg.k8s_subagent_image or DEFAULT_IMAGE, service_account=cfg.k8s_service_account,
                            env=api.env)
    try:
        try:
            await api.create(manifest)
        except K8sError as exc:
            return PodOutcome(ExitReason.ERROR, _with_hint(f"could not create pod {name}: {exc.message}", exc),
                              exc.retryable)
        return await _watch(api, name, cfg.subagent_timeout_secs, cfg.k8s_poll_secs)
    finally:
        await _delete(ex, api, name)


async def _watch(api: PodApi, name: str, timeout: int, poll: float) -> PodOutcome:
    deadline, last, trouble = time.monotonic() + timeout, None, None
    while True:
        try:
            state = await api.state(name)
        except K8sError as exc:
            if not exc.retryable:
                return PodOutcome(ExitReason.ERROR, _with_hint(exc.message, exc), False)
            trouble = exc.message  # a passing API outage: keep watching until the deadline
        else:
            if state is None:
                return PodOutcome(ExitReason.ERROR, f"pod {name} disappeared before it reported a result (deleted by "
                                           "someone else, or its node was lost)")
            last, trouble = state, None
            failure = state.failure()
            if state.finished or failure is not None:
                return await _ended(api, name, state, failure)
        if time.monotonic() >= deadline:
            why = ""
            if last and last.unschedulable:
                why = f"; it was never scheduled: {last.unschedulable}"
            elif last and last.phase == "Pending":
                why = f"; it was still Pending ({last.reason or 'starting'})"
            elif trouble:
                why = f"; the Kubernetes API was failing: {trouble}"
            return PodOutcome(ExitReason.TIMED_OUT, f"sub-agent timed out after {timeout}s in Kubernetes pod {name}{why}")
        await asyncio.sleep(max(0.01, min(poll, deadline - time.monotonic())))


async def _ended(api: PodApi, name: str, state: PodState, failure: PodFailure | None) -> PodOutcome:
    """What a finished (or failed) pod reported: its result line, else the infrastructure's reason."""
    logs = await _logs(api, name)
    reported = last_line(logs, RESULT_PREFIX)
    if reported is not None:
        reason = ExitReason.parse(reported.get("exit_reason") or ("completed" if reported.get("success") else "error"))
        retryable = reason is not ExitReason.BUDGET and reported.get("retryable") is not False  # False: a setup error
        return PodOutcome(reason, None if reason is ExitReason.COMPLETED else str(reported.get("error") or reason),
                          retryable, reported)
    if failure is not None:
        return PodOutcome(ExitReason.ERROR, f"pod {name}: {failure.message}", failure.retryable)
    answer = fallback_answer(logs)
    if answer is not None and state.exit_code == 0:  # an older image answered through `codetether run`
        return PodOutcome(ExitReason.COMPLETED, None, True, {"result": answer, "steps": 1, "tool_calls": 0})
    tail = "\n".join(logs.strip().splitlines()[-LOG_TAIL:])
    return PodOutcome(ExitReason.ERROR, f"pod {name} ended ({state.phase}, exit code {state.exit_code}, "
                               f"{state.reason or 'no reason given'}) without reporting a result"
                               + (f"; its last log lines:\n{tail}" if tail else "; it wrote no logs"))


async def observe_pods(api: PodApi, names: dict[str, str]) -> list[Observation]:
    """One collapse-controller sample per running pod: its last probe line plus its resource health."""
    observations = []
    for subtask_id, name in names.items():
        try:
            state = await api.state(name)
        except K8sError:
            state = None
        health, signals = state.resource_health() if state else missing_pod_health()
        probe = last_line(await _logs(api, name, 500), PROBE_PREFIX) or {}
        failed = state is None or state.phase.lower() == "failed"
        compile_ok = bool(probe.get("compile_ok", True)) and not failed
        files = probe.get("changed_files") if isinstance(probe.get("changed_files"), list) else []
        observations.append(Observation(subtask_id, compile_ok, {str(f) for f in files},
                                        _int(probe.get("changed_lines")), health, signals))
    return observations


async def sweep(api: PodApi, swarm_label: str) -> list[str]:
    """Delete whatever pods of this swarm are still there (the last line of defence, on every exit path)."""
    left = await api.names(swarm_label)
    for name in left:
        await api.delete(name)
    return left


async def _logs(api: PodApi, name: str, tail: int | None = None) -> str:
    try:
        return await api.logs(name, tail)
    except K8sError:
        return ""


async def _delete(ex: SwarmExecutor, api: PodApi, name: str) -> None:
    try:
        await asyncio.shield(api.delete(name))  # a second Ctrl-C must not leave the pod running
    except K8sError as exc:
        ex.report(f"warning: could not delete pod {name}: {exc.message} (kubectl delete pod {name} -n "
                  f"{api.namespace})", ex.progress)


def _account(rt: Runtime, reported: dict[str, Any]) -> None:
    rt.tool_calls += _int(reported.get("tool_calls"))
    usage = reported.get("usage") if isinstance(reported.get("usage"), dict) else {}
    rt.usage.add(Usage(_int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))))


def _with_hint(message: str, exc: K8sError) -> str:
    return f"{message}. {exc.hint}" if exc.hint else message


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
