"""From the agent loop to the UI: events become Textual messages; approvals and questions become dialogs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual.app import App
from textual.message import Message

from codetether.agent import events as ev
from codetether.tool.support.permission import ApprovalRequest


@dataclass
class AgentEvent(Message):
    """One agent event, delivered to the app in order on its message queue."""

    event: ev.Event


def event_sink(app: App) -> ev.EventSink:
    """A sink that posts every event to the app; post_message is safe from the loop's worker task."""

    def sink(event: ev.Event) -> None:
        app.post_message(AgentEvent(event))

    return sink


async def ask_screen(app: App, screen) -> object:
    """Push a modal and wait for its result without blocking the UI (the agent task awaits, the app runs)."""
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    def done(result: object) -> None:
        if not future.done():
            future.set_result(result)

    app.push_screen(screen, callback=done)
    try:
        return await future
    except asyncio.CancelledError:  # the turn was stopped while the dialog was open: take it away too
        if screen in app.screen_stack:
            screen.dismiss(None)
        raise


def approver(app: App):
    """The Approvals approver: a modal for each "ask" rule; "always" writes the rule (tool/always_allow.py)."""
    from codetether.config.paths import config_file
    from codetether.errors import CodetetherError
    from codetether.tool.support.always_allow import always_rule, remember
    from codetether.tui.screens.dialogs import ApprovalScreen

    async def approve(request: ApprovalRequest) -> bool:
        policy = app.session.prepared.agent.ctx.policy if app.session is not None else None
        rule = always_rule(policy, request) if policy is not None else None
        answer = await ask_screen(app, ApprovalScreen(request, rule.describe() if rule else None))
        if answer == "always" and rule is not None:
            try:
                remember(policy, rule, app.config.path or config_file())
            except (CodetetherError, OSError) as exc:  # allowed this once all the same; say why not always
                app.notify(f"could not save the rule: {getattr(exc, 'message', exc)}", severity="error")
        return answer in ("once", "always")

    return approve


def asker(app: App):
    """ToolContext.ask_user for the question tool: a modal with the options and a free-text answer."""
    from codetether.tui.screens.dialogs import QuestionScreen

    async def ask(question: str, options: list[str], default: str | None) -> str:
        return str(await ask_screen(app, QuestionScreen(question, options, default)) or "")

    return ask
