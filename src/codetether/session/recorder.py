"""Write a running turn into the store as it happens: messages, tool calls and notable events."""

from __future__ import annotations

from codetether.agent import events as ev
from codetether.provider.model import Message
from codetether.session.store import SessionStore

CONTEXT_WINDOW_STATE = "context_window"  # the window a provider's context-length refusal taught this session


class TurnRecorder:
    """An event sink plus an on_message hook for one turn of one session."""

    def __init__(self, store: SessionStore, session_id: str, turn: int):
        self.store, self.session_id, self.turn = store, session_id, turn
        self._arguments: dict[str, str] = {}

    def on_message(self, message: Message) -> None:
        if message.role != "system":
            self.store.append_message(self.session_id, self.turn, message)

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.ToolCallStarted):
            self._arguments[event.call_id] = event.arguments
        elif isinstance(event, ev.ToolCallCompleted):
            self.store.record_tool_call(self.session_id, self.turn, event.call_id, event.name,
                                        self._arguments.pop(event.call_id, ""), event.output, event.success,
                                        event.duration_ms)
            if event.metadata.get("refused"):
                self.store.record_event(self.session_id, self.turn, "refusal",
                                        {"tool": event.name, "reason": event.output})
            elif event.metadata.get("rejected") or event.metadata.get("held"):
                self.store.record_event(self.session_id, self.turn, "tool_call_rejected",
                                        {"tool": event.name, "reason": event.metadata.get("rejected")
                                         or event.metadata.get("held"), "message": event.output})
        elif isinstance(event, ev.ToolCallRepaired):
            self.store.record_event(self.session_id, self.turn, "tool_call_repair",
                                    {"tool": event.name, "sent_as": event.original_name, "repairs": event.repairs,
                                     "sent": event.original_arguments[:2000], "ran": event.arguments[:2000]})
        elif isinstance(event, ev.LoopDetected):
            self.store.record_event(self.session_id, self.turn, "doom_loop",
                                    {"tool": event.name, "count": event.count, "action": event.action})
        elif isinstance(event, ev.ContextLimitLearned):
            self.store.record_event(self.session_id, self.turn, "context_limit",
                                    {"stated_limit": event.stated_limit, "window": event.window,
                                     "tokens_before": event.tokens_before, "tokens_after": event.tokens_after})
            self.store.set_state(self.session_id, CONTEXT_WINDOW_STATE, event.window)
        elif isinstance(event, ev.ContextTruncated):
            self.store.record_event(self.session_id, self.turn, "context_truncated",
                                    {"removed_messages": event.removed_messages})
        elif isinstance(event, ev.CompactionCompleted):
            self.store.record_event(self.session_id, self.turn, "compaction",
                                    {"messages_summarised": event.messages_summarised,
                                     "tokens_before": event.tokens_before, "tokens_after": event.tokens_after})
        elif isinstance(event, ev.CompactionFailed):
            self.store.record_event(self.session_id, self.turn, "compaction_failed", {"reason": event.reason})
