"""Client side of A2A on the official a2a-sdk client: fetch a card, send a task (blocking or streamed)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.client.errors import AgentCardResolutionError
from a2a.helpers import get_artifact_text, get_message_text
from a2a.types import (
    AgentCard,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)
from a2a.utils.errors import A2AError

from codetether.errors import CodetetherError

TOKEN_ENV = "CODETETHER_TOKEN"
LEGACY_CARD_PATH = "/.well-known/agent.json"  # A2A 0.3 servers, the original CodeTether among them
TERMINAL = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED,
            TaskState.TASK_STATE_REJECTED}


def token_or_env(token: str | None) -> str | None:
    from codetether.secrets import sealed

    return token or sealed.environ().get(TOKEN_ENV) or None


def platform_token_for(url: str) -> str | None:
    """CODETETHER_TOKEN, but only for the platform it belongs to (CODETETHER_SERVER's origin): a URL a model
    chose must never receive it."""
    from urllib.parse import urlsplit

    from codetether.secrets import sealed

    env = sealed.environ()
    server = env.get("CODETETHER_SERVER", "").strip()
    if not server or not env.get(TOKEN_ENV):
        return None
    mine, theirs = urlsplit(server), urlsplit(url)
    same = (mine.scheme, mine.hostname, mine.port) == (theirs.scheme, theirs.hostname, theirs.port)
    return env[TOKEN_ENV] if same else None


@contextlib.asynccontextmanager
async def _http(token: str | None, timeout: float | None, transport: Any = None) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    extra = {"transport": transport} if transport is not None else {}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(10.0, read=timeout), **extra) as http:
        try:
            yield http
        except httpx.HTTPError as exc:
            raise CodetetherError(f"cannot reach the agent: {type(exc).__name__}: {exc}",
                                  "Check the URL and that the agent is running.") from None
        except A2AError as exc:
            raise CodetetherError(f"the remote agent answered with an error: {_a2a_message(exc)}") from None


async def get_card(url: str, token: str | None = None, timeout: float = 30.0, transport: Any = None) -> AgentCard:
    """The agent card at `url` (its base URL): the current well-known path, then the A2A 0.3 one."""
    url = _check_url(url)
    async with _http(token, timeout, transport) as http:
        return await _resolve(http, url)


async def _resolve(http: httpx.AsyncClient, url: str) -> AgentCard:
    resolver = A2ACardResolver(http, url)
    try:
        return await resolver.get_agent_card()
    except AgentCardResolutionError as exc:
        if exc.status_code != 404:
            raise _card_error(url, exc) from None
    try:
        return await resolver.get_agent_card(relative_card_path=LEGACY_CARD_PATH)
    except AgentCardResolutionError as exc:
        raise _card_error(url, exc) from None


async def send(url: str, text: str, *, token: str | None = None, stream: bool = False, timeout: float | None = 600,
               on_event: Callable[[StreamResponse], None] | None = None, context_id: str | None = None,
               transport: Any = None) -> Task | Message:
    """Send `text` as a new task to the agent at `url` (in conversation `context_id` if given); return the finished
    task (or the agent's message). A `transport` decides where connections may go (the a2a tool's)."""
    url = _check_url(url)
    if not text.strip():
        raise CodetetherError("the message is empty", "Give the task to send as text.")
    async with _http(token, timeout, transport) as http:
        card = await _resolve(http, url)
        try:
            client = ClientFactory(ClientConfig(streaming=stream, httpx_client=http)).create(card)
        except ValueError as exc:
            raise CodetetherError(f"cannot talk to the agent at {url}: {exc} (this client speaks JSON-RPC)") from None
        request = SendMessageRequest(message=Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()),
                                                     parts=[Part(text=text)], context_id=context_id or ""))
        task_id, last = "", None
        async for event in client.send_message(request):
            if on_event is not None:
                on_event(event)
            if event.HasField("message"):
                return event.message
            last = event.task if event.HasField("task") else last
            task_id = task_id or _task_id(event)
        if not task_id:
            raise CodetetherError(f"the agent at {url} answered with neither a task nor a message")
        if last is not None and last.status.state in TERMINAL and last.artifacts:
            return last
        return await client.get_task(GetTaskRequest(id=task_id))  # the whole task, artifacts included


def state_name(task: Task) -> str:
    return TaskState.Name(task.status.state).removeprefix("TASK_STATE_").lower()


def response_text(task: Task) -> str:
    """The text of the task's last 'response' artifact (the agent's final answer; one per turn), or ''."""
    return next((get_artifact_text(a) for a in reversed(task.artifacts) if a.name == "response"), "")


def answer_text(result: Task | Message) -> str:
    """The agent's answer: the 'response' artifact, else the final status message."""
    if isinstance(result, Message):
        return get_message_text(result)
    if text := response_text(result):
        return text
    return get_message_text(result.status.message) if result.status.HasField("message") else ""


def changed_files(task: Task) -> list[str]:
    for artifact in task.artifacts:
        if artifact.name == "changed-files":
            return [line for line in get_artifact_text(artifact).splitlines() if line]
    return []


def _task_id(event: StreamResponse) -> str:
    for name in ("task", "status_update", "artifact_update"):
        if event.HasField(name):
            value = getattr(event, name)
            return value.id if name == "task" else value.task_id
    return ""


def _check_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise CodetetherError(f"'{url}' is not an agent URL", "Give the agent's base URL, e.g. http://127.0.0.1:4096")
    return url.rstrip("/")


def _card_error(url: str, exc: AgentCardResolutionError) -> CodetetherError:
    if exc.status_code == 401:
        return CodetetherError(f"the agent at {url} wants a token for its card", f"Pass --token or set {TOKEN_ENV}.")
    if exc.status_code is None:  # no HTTP answer at all
        return CodetetherError(f"cannot reach the agent at {url}: {exc.message}", "Check the URL and that it runs.")
    return CodetetherError(f"no agent card at {url}: {exc.message}")


def _a2a_message(exc: A2AError) -> str:
    text = str(getattr(exc, "message", "") or exc)
    if "401" in text:
        return f"{text} (unauthorized: pass --token or set {TOKEN_ENV})"
    return text
