"""A Python callback that settles permission questions, as the approver the permission policy asks."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from codetether.tool.support.permission import ApprovalRequest, Approvals, Approver

# Gets what a tool call would do (tool, subject, the rule that asked) and answers True (allow) or False (deny).
ApproveCallback = Callable[[ApprovalRequest], bool | Awaitable[bool]]


def approvals_for(approve: ApproveCallback | bool | None) -> Approvals:
    """True allows whatever a rule would ask about (not a strict question), False or None refuses it, and a
    callback decides each one. A plain function runs off the event loop: it may block (ask a person, a service)."""
    if approve is None or approve is False:
        return Approvals()
    if approve is True:
        return Approvals(assume_yes=True)
    return Approvals(approver=as_approver(approve))


def as_approver(approve: ApproveCallback) -> Approver:
    if inspect.iscoroutinefunction(approve):
        return approve  # type: ignore[return-value]

    async def ask(request: ApprovalRequest) -> bool:
        answer = await asyncio.to_thread(approve, request)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer is True

    return ask
