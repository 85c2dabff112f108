"""Agent events as ACP updates, in-process: the parts the scripted model cannot produce (thinking, a reply in one
piece, a turn cut short) and how queued chunks travel."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codetether.acp.files import Change
from codetether.acp.translate import EventTranslator, TurnView, text_chunk, usage_update
from codetether.acp.updates import UpdateStream
from codetether.agent import events as ev
from codetether.provider.model import Usage


def _translator(tmp_path: Path, pending: list[Change] | None = None) -> tuple[EventTranslator, list]:
    """A translator whose file changes come from `pending` (what the tools wrote meanwhile)."""
    pushed: list = []
    pending = pending if pending is not None else []

    def take() -> list[Change]:
        taken = pending[:]
        pending.clear()
        return taken

    view = TurnView(tmp_path, lambda name, args: name == "bash", take,
                    lambda e: usage_update(e.usage.total_tokens, 1000, 0.5))
    return EventTranslator(pushed.append, view), pushed


def test_thinking_streams_as_thought_and_an_unstreamed_reply_still_arrives(tmp_path):
    translate, pushed = _translator(tmp_path)
    for event in (ev.Notice("warning: commands run WITHOUT a sandbox (no bwrap)"),
                  ev.Notice("waiting 5 s before retrying (429)", kind="info"), ev.StepStarted(1), ev.ThinkingChunk("let me see"), ev.TextComplete("whole answer"),
                  ev.StepStarted(2), ev.TextChunk("str"), ev.TextChunk("eamed"), ev.TextComplete("streamed")):
        translate(event)
    assert [(u.session_update, u.content.text) for u in pushed] == [
        ("agent_message_chunk", "⚠ commands run WITHOUT a sandbox (no bwrap)\n\n"),
        ("agent_thought_chunk", "(waiting 5 s before retrying (429))\n"), ("agent_thought_chunk", "let me see"), ("agent_message_chunk", "whole answer"),
        ("agent_message_chunk", "str"), ("agent_message_chunk", "eamed")]  # no repeat of the streamed text


def test_tool_calls_status_diff_plan_usage_and_a_cut_short_turn(tmp_path):
    written_by_tool: list[Change] = []
    translate, pushed = _translator(tmp_path, written_by_tool)
    translate(ev.ToolCallStarted("c1", "bash", '{"command": "make test"}'))
    translate(ev.ToolCallStarted("c2", "write", '{"path": "a.py", "content": "new\\n"}'))
    written_by_tool.append(Change(tmp_path / "a.py", "old\n", "new\n"))
    translate(ev.ToolCallCompleted("c2", "write", True, 3, "Wrote a.py"))
    todos = [{"id": "1", "content": "ship", "status": "blocked", "priority": "high"}]
    translate(ev.ToolCallCompleted("t", "todo_write", True, 1, "ok", {"todos": todos}))
    translate(ev.UsageUpdated(1, Usage(90, 10), Usage(90, 10)))
    translate(ev.RunCompleted("", 1, Usage(), "cancelled"))
    bash, write, written, _todo_done, plan, usage, stopped = pushed
    assert (bash.status, bash.kind, bash.title) == ("pending", "execute", "make test")  # an approval will come
    assert (write.status, write.locations[0].path) == ("in_progress", str(tmp_path / "a.py"))
    assert written.content[0].type == "diff" and written.content[0].old_text == "old\n"
    assert [(e.content, e.status, e.priority) for e in plan.entries] == [("ship (blocked)", "pending", "high")]
    assert (usage.used, usage.size, usage.cost.amount) == (100, 1000, 0.5)
    assert (stopped.tool_call_id, stopped.status) == ("c1", "failed")  # the bash call never finished


def test_queued_text_chunks_travel_as_one_notification_in_order():
    async def scenario() -> list:
        sent: list = []
        gate = asyncio.Event()

        async def send(update) -> None:
            sent.append(update)
            await gate.wait()

        stream = UpdateStream(send)
        stream.push(text_chunk("warning", thought=True))  # pushed while the session opens: held
        await stream.flush()
        await asyncio.sleep(0)
        assert sent == []
        gate.set()
        stream.release()
        await stream.flush()
        gate.clear()
        stream.push(text_chunk("first"))
        await asyncio.sleep(0)  # the pump takes "first" and waits on the client
        for piece in ("a", "b", "c"):
            stream.push(text_chunk(piece))
        stream.push(text_chunk("thinking", thought=True))
        stream.push(text_chunk("d"))
        gate.set()
        await stream.flush()
        await stream.aclose()
        return sent

    sent = asyncio.run(scenario())
    assert [(u.session_update, u.content.text) for u in sent] == [
        ("agent_thought_chunk", "warning"), ("agent_message_chunk", "first"), ("agent_message_chunk", "abc"), ("agent_thought_chunk", "thinking"),
        ("agent_message_chunk", "d")]
