"""The question tool's way to the user over ACP: an `elicitation/create` form, for clients that offer forms."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from acp.schema import ElicitationFormSessionMode, ElicitationSchema, ElicitationStringPropertySchema

from codetether.acp.translate import current_call
from codetether.tool.base import AskUser

log = logging.getLogger("codetether.acp")


def asker(conn: Any, session_id: Callable[[], str]) -> AskUser:
    """ToolContext.ask_user: the question as a one-field form; declined or cancelled reads as no answer."""

    async def ask(question: str, options: list[str], default: str | None) -> str:
        hint = ("Suggested: " + ", ".join(options)) if options else None
        answer = ElicitationStringPropertySchema(type="string", title="Answer", description=hint, default=default)
        mode = ElicitationFormSessionMode(session_id=session_id(), tool_call_id=current_call.get(),
                                          requested_schema=ElicitationSchema(properties={"answer": answer},
                                                                             required=["answer"]))
        try:
            reply = await conn.create_elicitation(message=question, mode=mode)
        except Exception as exc:  # the client is gone or refused: the model decides, as when no one can answer
            log.warning("no answer to the question %r: %s", question, exc)
            return ""
        if getattr(reply, "action", "") != "accept":
            return ""
        return str((reply.content or {}).get("answer") or "")

    return ask
