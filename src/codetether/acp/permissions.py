"""An "ask" rule as `session/request_permission`: allow once, always allow (the rule written as the TUI writes
it, tool/always_allow.py) or reject."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from acp.schema import PermissionOption, ToolCallUpdate

from codetether.acp.translate import current_call
from codetether.config.permission import PermissionRules
from codetether.errors import CodetetherError
from codetether.tool.support.always_allow import AlwaysRule, always_rule, remember
from codetether.tool.support.permission import ApprovalRequest, PermissionPolicy

log = logging.getLogger("codetether.acp")
ALLOW_ONCE, ALLOW_ALWAYS, REJECT = "allow_once", "allow_always", "reject_once"
_ids = itertools.count(1)


def options(rule: AlwaysRule | None) -> list[PermissionOption]:
    choices = [PermissionOption(option_id=ALLOW_ONCE, name="Allow once", kind="allow_once")]
    if rule is not None:
        choices.append(PermissionOption(option_id=ALLOW_ALWAYS, name=f"Always allow ({rule.describe()})",
                                        kind="allow_always"))
    return [*choices, PermissionOption(option_id=REJECT, name="Reject", kind="reject_once")]


class Approver:
    """The session's Approvals approver: asks the client, remembers "always", and says no when it can't ask."""

    def __init__(self, conn: Any, session_id: Callable[[], str], before_asking: Callable[[], Awaitable[None]],
                 policy: Callable[[], PermissionPolicy | None], config_path: Path,
                 on_rules: Callable[[PermissionRules], None]):
        self.conn, self.session_id, self.before_asking = conn, session_id, before_asking
        self.policy, self.config_path, self.on_rules = policy, config_path, on_rules

    async def __call__(self, request: ApprovalRequest) -> bool:
        policy = self.policy()
        rule = always_rule(policy, request) if policy is not None else None
        call_id = current_call.get() or f"approval-{next(_ids)}"
        await self.before_asking()  # the client hears of the tool call before it is asked about it
        tool_call = ToolCallUpdate(tool_call_id=call_id, status="pending", title=request.subject,
                                   raw_input=dict(request.arguments) or None)
        try:
            answer = await self.conn.request_permission(session_id=self.session_id(), tool_call=tool_call,
                                                        options=options(rule))
        except Exception as exc:  # the client is gone or answered with an error: nobody approved it
            log.warning("no answer to the permission request for %s (%s); refusing it", request.subject, exc)
            return False
        outcome = answer.outcome
        if outcome.outcome != "selected" or outcome.option_id not in (ALLOW_ONCE, ALLOW_ALWAYS):
            return False
        if outcome.option_id == ALLOW_ALWAYS and rule is not None and policy is not None:
            try:
                self.on_rules(remember(policy, rule, self.config_path))
            except (CodetetherError, OSError) as exc:  # allowed this once all the same
                log.warning("could not save %s: %s", rule.describe(), getattr(exc, "message", exc))
        return True
