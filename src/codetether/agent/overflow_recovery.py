"""After a provider's context-length refusal: the window it states (or a safe guess), kept for the session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codetether.agent import events as ev
from codetether.agent.context import tools_tokens, total_tokens
from codetether.provider.errors import ContextOverflowError
from codetether.provider.model import Message, ToolDefinition

if TYPE_CHECKING:
    from codetether.agent.loop import AgentSettings

MIN_WINDOW = 1024


@dataclass
class Learned:
    stated_limit: int | None
    window: int
    tokens_before: int

    def event(self, messages: list[Message]) -> ev.ContextLimitLearned:
        return ev.ContextLimitLearned(self.stated_limit, self.window, self.tokens_before, total_tokens(messages))


def learn_limit(settings: AgentSettings, exc: ContextOverflowError, messages: list[Message],
                tools: list[ToolDefinition]) -> Learned:
    """Shrink settings.context_window to what the provider allows, in our own token estimate's units."""
    sent = total_tokens(messages) + tools_tokens(tools)
    if exc.limit and exc.prompt_tokens:
        # Its count of the same prompt tells how far our estimate is off; the window is scaled by that.
        window = int(exc.limit * sent / exc.prompt_tokens) if exc.prompt_tokens > sent else exc.limit
    elif exc.limit:
        # The prompt was longer than the limit in its tokens; when our estimate says otherwise, trust the refusal.
        window = exc.limit if sent > exc.limit else min(exc.limit, int(sent * 0.8))
    else:
        window = int(min(settings.context_window, sent) * 0.75)
    settings.context_window = max(MIN_WINDOW, min(settings.context_window, window))
    return Learned(exc.limit, settings.context_window, sent)
