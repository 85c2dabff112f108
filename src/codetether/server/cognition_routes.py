"""HTTP routes of the cognition runtime and persona swarm (seed: "Perpetual Persona Swarms API (Phase 0)").

Errors answer as plain text with the reason, as the original's (status, message) pairs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from codetether.cognition.personas import PersonaError, PersonaRequest
from codetether.cognition.runtime import CognitionRuntime

KEEP_ALIVE_S = 15.0
Handler = Callable[[Request], Awaitable[Response]]


def cognition_routes(rt: CognitionRuntime, keep_alive_s: float = KEEP_ALIVE_S) -> list[Route]:
    async def start(request: Request) -> Response:
        body = await _body(request, {"loop_interval_ms", "seed_persona"})
        interval = body.get("loop_interval_ms")
        if interval is not None and (type(interval) is not int or interval < 1):
            raise PersonaError(400, "field 'loop_interval_ms' must be a whole number of milliseconds >= 1")
        seed = body.get("seed_persona")
        return JSONResponse(await rt.start(interval, PersonaRequest.parse(seed) if seed is not None else None))

    async def stop(request: Request) -> Response:
        body = await _body(request, {"reason"})
        return JSONResponse(await rt.stop(_opt_str(body, "reason")))

    async def status(_request: Request) -> Response:
        return JSONResponse(rt.status())

    async def latest_snapshot(_request: Request) -> Response:
        snap = rt.snapshots.latest()
        return JSONResponse(snap) if snap else PlainTextResponse("No snapshots available", 404)

    async def create(request: Request) -> Response:
        req = PersonaRequest.parse(await _body(request, None))
        return JSONResponse(rt.create_persona(req).to_json())

    async def spawn(request: Request) -> Response:
        req = PersonaRequest.parse(await _body(request, None), allow_parent=False)
        req.parent_id = request.path_params["pid"]
        return JSONResponse(rt.create_persona(req).to_json())

    async def reap(request: Request) -> Response:
        body = await _body(request, {"cascade", "reason"})
        cascade = body.get("cascade", False)
        if type(cascade) is not bool:
            raise PersonaError(400, "field 'cascade' must be true or false")
        ids = rt.reap(request.path_params["pid"], cascade, _opt_str(body, "reason"))
        return JSONResponse({"reaped_ids": ids, "count": len(ids)})

    async def lineage(_request: Request) -> Response:
        return JSONResponse(rt.registry.lineage())

    async def stream(_request: Request) -> Response:
        return StreamingResponse(_sse(rt, keep_alive_s), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def route(path: str, fn: Handler, method: str) -> Route:
        return Route(path, _guarded(fn), methods=[method])

    return [route("/v1/cognition/start", start, "POST"), route("/v1/cognition/stop", stop, "POST"),
            route("/v1/cognition/status", status, "GET"), route("/v1/cognition/stream", stream, "GET"),
            route("/v1/cognition/snapshots/latest", latest_snapshot, "GET"),
            route("/v1/swarm/personas", create, "POST"), route("/v1/swarm/personas/{pid}/spawn", spawn, "POST"),
            route("/v1/swarm/personas/{pid}/reap", reap, "POST"), route("/v1/swarm/lineage", lineage, "GET")]


async def _sse(rt: CognitionRuntime, keep_alive_s: float) -> AsyncIterator[str]:
    sub = rt.broadcast.subscribe()  # before the first yield, so nothing emitted after the request is missed
    try:
        yield ": connected\n\n"
        while True:
            skipped, events = await sub.next(keep_alive_s)
            if skipped:
                yield f"event: lag\ndata: skipped {skipped}\n\n"
            if not events and not skipped:
                yield ": keep-alive\n\n"
            for event in events:
                if event is None:  # the server is shutting down
                    return
                yield f"event: cognition\ndata: {json.dumps(event)}\n\n"
    finally:
        rt.broadcast.unsubscribe(sub)


def _guarded(fn: Handler) -> Handler:
    async def wrapper(request: Request) -> Response:
        try:
            return await fn(request)
        except PersonaError as exc:
            return PlainTextResponse(exc.message, exc.status)
    return wrapper


async def _body(request: Request, allowed: set[str] | None) -> dict[str, Any]:
    """The JSON object body; empty means {} where every field is optional (`allowed` given)."""
    raw = await request.body()
    if not raw.strip() and allowed is not None:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise PersonaError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise PersonaError(400, "request body must be a JSON object")
    for key in body if allowed is not None else ():
        if key not in allowed:
            raise PersonaError(400, f"field '{key}' is not accepted here; accepted: {', '.join(sorted(allowed))}")
    return body


def _opt_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise PersonaError(400, f"field '{key}' must be a string")
    return value or None
