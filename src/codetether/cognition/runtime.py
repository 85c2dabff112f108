"""The cognition runtime: a loop in which every active persona takes one thought step per tick.

All state lives on the server's event loop (no threads), so endpoints and ticks never race."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from codetether.cognition import thoughts
from codetether.cognition.buffers import Broadcast, RingBuffer
from codetether.cognition.clock import now_iso
from codetether.cognition.personas import (
    PersonaError,
    PersonaPolicy,
    PersonaRegistry,
    PersonaRequest,
    PersonaState,
)
from codetether.cognition.settings import MIN_INTERVAL_MS, CognitionSettings
from codetether.cognition.thinker import Thinker, ThinkerError, ThinkerOutput, build_thinker

log = logging.getLogger(__name__)
ROOT = {"persona_id": "root-thinker", "name": "root-thinker", "role": "orchestrator", "swarm_id": "swarm-core",
        "charter": "Continuously observe, reflect, test hypotheses, and compress useful insights."}
DISABLED = "Perpetual cognition is disabled. Set CODETETHER_COGNITION_ENABLED=true."


class CognitionRuntime:
    def __init__(self, settings: CognitionSettings, thinker: Thinker | None = None, build: bool = True):
        """`thinker` overrides the one the settings select; raises UsageError for an unusable local backend."""
        self.settings = settings
        self.thinker = thinker if thinker is not None or not (build and settings.enabled) else build_thinker(settings)
        self.interval_ms = max(settings.loop_interval_ms, MIN_INTERVAL_MS)
        self.registry = PersonaRegistry(PersonaPolicy(settings.max_spawn_depth, settings.max_branching_factor,
                                                      settings.token_credits_per_minute,
                                                      settings.cpu_credits_per_minute, settings.idle_ttl_secs,
                                                      settings.share_memory))
        self.events: RingBuffer[dict[str, Any]] = RingBuffer(max(settings.max_events, 32))
        self.snapshots: RingBuffer[dict[str, Any]] = RingBuffer(max(settings.max_snapshots, 8))
        self.proposals: RingBuffer[dict[str, Any]] = RingBuffer(max(settings.max_snapshots, 8))  # stored, never run
        self.broadcast = Broadcast(max(settings.max_events, 16))
        self.started_at: str | None = None
        self.last_tick_at: str | None = None
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def status(self) -> dict[str, Any]:
        personas = self.registry.personas
        return {"enabled": self.settings.enabled, "running": self.running, "loop_interval_ms": self.interval_ms,
                "started_at": self.started_at, "last_tick_at": self.last_tick_at, "persona_count": len(personas),
                "active_persona_count": len(self.registry.active()), "events_buffered": len(self.events),
                "snapshots_buffered": len(self.snapshots), "ticks": self.ticks,
                "buffers": {"events": self.events.metrics(), "snapshots": self.snapshots.metrics(),
                            "stream_subscribers": len(self.broadcast)},
                "thinker": {"enabled": self.thinker is not None, "backend": self.settings.thinker_backend,
                            "model": self.thinker.label if self.thinker else None}}

    async def start(self, interval_ms: int | None = None, seed_persona: PersonaRequest | None = None) -> dict:
        if not self.settings.enabled:
            raise PersonaError(400, DISABLED)
        if interval_ms is not None:
            self.interval_ms = max(interval_ms, MIN_INTERVAL_MS)  # applies to a running loop too
        if not self.registry.personas:  # reaped personas count: a reaped swarm is not silently re-seeded
            self.create_persona(seed_persona or PersonaRequest.parse(ROOT))
        if not self.running:
            self.started_at = now_iso()
            self._task = asyncio.create_task(self._loop(), name="cognition-loop")
        return self.status()

    async def stop(self, reason: str | None = None) -> dict:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # also cancels an in-flight thinker request: no request leaves after stop returns
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if reason:
            self.emit("check_result", None, None, {"stopped": True, "reason": reason})
        return self.status()

    async def shutdown(self) -> None:
        await self.stop()
        self.broadcast.close()
        if self.thinker is not None:
            await self.thinker.aclose()

    def create_persona(self, req: PersonaRequest) -> PersonaState:
        state = self.registry.create(req)
        i = state.identity
        self.emit("persona_spawned", i.id, i.swarm_id, {"name": i.name, "role": i.role, "depth": i.depth})
        return state

    def reap(self, pid: str, cascade: bool, reason: str | None) -> list[str]:
        reaped = self.registry.reap(pid, cascade)
        for p in reaped:
            self.emit("persona_reaped", p.identity.id, None, {"reason": reason or "manual_reap", "cascade": cascade})
        return [p.identity.id for p in reaped]

    def emit(self, event_type: str, persona_id: str | None, swarm_id: str | None, payload: dict) -> dict:
        event = {"id": str(uuid.uuid4()), "event_type": event_type, "persona_id": persona_id, "swarm_id": swarm_id,
                 "timestamp": now_iso(), "payload": payload}
        self.events.push(event)
        self.broadcast.publish(event)
        return event

    async def _loop(self) -> None:
        interval = self.interval_ms / 1000
        next_at = time.monotonic()
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one tick must not end perpetual cognition
                log.exception("cognition tick failed")
            interval = self.interval_ms / 1000
            next_at = max(next_at + interval, time.monotonic())  # a late tick runs at once, never in a burst

    async def tick(self) -> None:
        """One step for each persona active now (a persona reaped mid-tick skips its turn)."""
        self.ticks += 1
        self.last_tick_at = now_iso()
        for persona in self.registry.active():
            if persona.status == "active":
                await self.step(persona)

    async def step(self, p: PersonaState) -> None:
        p.thought_count += 1
        p.last_tick_at = p.updated_at = now_iso()
        phase, event_type = thoughts.phase_of(p.thought_count)
        context = thoughts.context_for(list(self.events), p.identity.id)
        out, error = await self._think(p, phase, context)
        source = "model" if out is not None and out.text.strip() else "fallback"
        text = thoughts.trim(out.text, 2000) if source == "model" and out else \
            thoughts.fallback_text(p, phase, context, error)
        model = out.model if out else (self.thinker.label if self.thinker else None)
        i, n = p.identity, p.thought_count
        self.emit(event_type, i.id, i.swarm_id, {
            "phase": phase, "thought_count": n, "persona": {"id": i.id, "name": i.name, "role": i.role},
            "context_event_count": len(context), "thinking": text, "source": source, "model": model,
            "finish_reason": out.finish_reason if out else None,
            "usage": out.usage if out else {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "latency_ms": out.latency_ms if out else 0, "error": error})
        if phase == "test":
            self.emit("check_result", i.id, i.swarm_id, {"phase": phase, "thought_count": n, "source": source,
                                                         "result_excerpt": thoughts.trim(text, 280), "model": model})
        elif phase == "reflect" and n % 8 == 2:
            self._propose(p, text, source, model)
        elif phase == "compress":
            self._snapshot(p, text, source, model, len(context), out)

    async def _think(self, p: PersonaState, phase: str,
                     context: list[dict[str, Any]]) -> tuple[ThinkerOutput | None, str | None]:
        if self.thinker is None:
            return None, None
        try:
            return await self.thinker.think(thoughts.SYSTEM, thoughts.user_prompt(p, phase, context)), None
        except ThinkerError as exc:  # an event, not a log line: a missing thinker must not spam the server log
            return None, str(exc)

    def _propose(self, p: PersonaState, text: str, source: str, model: str | None) -> None:
        pid = str(uuid.uuid4())
        title = thoughts.proposal_title(text, len(self.proposals) + 1)
        self.proposals.push({"id": pid, "persona_id": p.identity.id, "title": title,
                             "rationale": thoughts.trim(text, 900), "evidence_refs": ["internal.thought_stream"],
                             "risk": "low", "status": "created", "created_at": now_iso()})
        self.emit("proposal_created", p.identity.id, p.identity.swarm_id, {
            "proposal_id": pid, "title": title, "rationale_excerpt": thoughts.trim(text, 220),
            "source": source, "model": model})

    def _snapshot(self, p: PersonaState, text: str, source: str, model: str | None, hot: int,
                  out: ThinkerOutput | None) -> None:
        self.snapshots.push({
            "id": str(uuid.uuid4()), "generated_at": now_iso(), "swarm_id": p.identity.swarm_id,
            "persona_scope": [p.identity.id], "summary": thoughts.trim(text, 1500), "hot_event_count": hot,
            "warm_fact_count": thoughts.fact_count(text), "cold_snapshot_count": 1,
            "metadata": {"phase": "compress", "role": p.identity.role, "source": source,
                         "model": model or "fallback", "completion_tokens": out.usage["completion_tokens"] if out else 0}})
