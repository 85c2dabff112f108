"""Render agent events for a terminal (text) or for scripts (jsonl)."""

from __future__ import annotations

import json
import sys
import time
from typing import IO

from codetether.agent import events as ev


class TextRenderer:
    """Answer text on stdout as it streams; tool activity as short lines on stderr."""

    def __init__(self, out: IO[str] = sys.stdout, err: IO[str] = sys.stderr):
        self.out, self.err = out, err
        self.streamed = False  # whether the current step's text already went out in chunks
        self.at_line_start = True

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.StepStarted):
            self.streamed = False
        elif isinstance(event, ev.TextChunk):
            self.streamed = True
            self._write(event.text)
        elif isinstance(event, ev.TextComplete) and not self.streamed:
            self._write(event.text)
        elif isinstance(event, ev.ToolCallStarted):
            self._end_line()
            print(f"→ {event.name} {_brief(event.arguments)}", file=self.err, flush=True)
        elif isinstance(event, ev.ToolCallCompleted):
            mark = "✓" if event.success else "✗"
            tail = "" if event.success else f": {event.output.splitlines()[0][:200] if event.output else ''}"
            print(f"{mark} {event.name} ({event.duration_ms} ms){tail}", file=self.err, flush=True)
        elif isinstance(event, (ev.ToolCallRepaired, ev.LoopDetected, ev.ContextLimitLearned)):
            self._end_line()
            print(ev.notice(event), file=self.err, flush=True)
        elif isinstance(event, ev.Notice):
            self._end_line()
            print(event.text, file=self.err, flush=True)
        elif isinstance(event, ev.RunCompleted):
            self._end_line()

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self.at_line_start = text.endswith("\n")

    def _end_line(self) -> None:
        if not self.at_line_start:
            self.out.write("\n")
            self.out.flush()
            self.at_line_start = True


def _brief(arguments: str, limit: int = 120) -> str:
    text = " ".join(arguments.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JsonlRenderer:
    """One JSON object per line, named as in the original's `run --format jsonl`."""

    def __init__(self, out: IO[str] = sys.stdout):
        self.out = out
        self.item = 0

    def emit(self, type_: str, **fields: object) -> None:
        fields = {"type": type_, **fields, "timestamp_ms": int(time.time() * 1000)}
        self.out.write(json.dumps(fields, ensure_ascii=False) + "\n")
        self.out.flush()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.emit("run.started", session_id=event.session_id, model=event.model, agent=event.agent)
        elif isinstance(event, ev.StepStarted):
            self.item += 1
            self.emit("run.item_started", item_id=self._item())
        elif isinstance(event, ev.TextChunk):
            self.emit("run.text_chunk", item_id=self._item(), text=event.text)
        elif isinstance(event, ev.TextComplete):
            self.emit("run.text_complete", item_id=self._item(), text=event.text)
        elif isinstance(event, ev.ToolCallStarted):
            self.emit("run.tool_call_started", item_id=self._item(), tool_call_id=event.call_id, name=event.name,
                      arguments=event.arguments)
        elif isinstance(event, ev.ToolCallCompleted):
            rejected = event.metadata.get("rejected") or event.metadata.get("held")
            self.emit("run.tool_call_completed", item_id=self._item(), tool_call_id=event.call_id, name=event.name,
                      success=event.success, duration_ms=event.duration_ms, output=event.output,
                      **({"rejected": rejected} if rejected else {}))
        elif isinstance(event, ev.ToolCallRepaired):
            self.emit("run.tool_call_repaired", item_id=self._item(), tool_call_id=event.call_id, name=event.name,
                      sent_as=event.original_name, repairs=event.repairs, sent_arguments=event.original_arguments,
                      arguments=event.arguments)
        elif isinstance(event, ev.LoopDetected):
            self.emit("run.loop_detected", item_id=self._item(), name=event.name, arguments=event.arguments,
                      count=event.count, action=event.action)
        elif isinstance(event, ev.ContextLimitLearned):
            self.emit("run.context_limit_learned", stated_limit=event.stated_limit, window=event.window,
                      tokens_before=event.tokens_before, tokens_after=event.tokens_after)
        elif isinstance(event, ev.Notice):
            self.emit("run.notice", kind=event.kind, text=event.text)
        elif isinstance(event, ev.RunCompleted) and event.exit_reason is ev.ExitReason.COMPLETED:
            self.emit("run.item_completed", item_id=self._item())

    def _item(self) -> str:
        return f"item_{self.item}"


def usage_dict(usage: object) -> dict[str, int]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,  # type: ignore[attr-defined]
            "total_tokens": usage.total_tokens}  # type: ignore[attr-defined]
