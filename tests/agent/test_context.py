"""Requests are trimmed to the window like the seed's executor; tool call/result pairs stay together."""

from __future__ import annotations

from codetether.agent.context import fit_to_window, target_tokens, total_tokens, truncate_text
from codetether.provider.model import Message, TextPart, ToolCallPart, ToolResultPart


def _turns(n: int, size: int) -> list[Message]:
    msgs = [Message.text("system", "sys"), Message.text("user", "task")]
    for i in range(n):
        msgs.append(Message("assistant", [TextPart("x" * size), ToolCallPart(f"c{i}", "read", '{"path":"a"}')]))
        msgs.append(Message("tool", [ToolResultPart(f"c{i}", "y" * size)]))
    return msgs


def test_small_conversations_pass_through_untouched():
    msgs = _turns(3, 100)
    fitted, dropped = fit_to_window(msgs, 128_000)
    assert fitted is msgs and dropped == 0


def test_long_conversation_keeps_first_two_and_tail_with_summary():
    msgs = _turns(40, 3000)
    fitted, dropped = fit_to_window(msgs, 16_000)
    assert dropped > 0
    assert fitted[:2] == msgs[:2]
    note = fitted[2].text_content
    assert note.startswith(f"[Context truncated: {dropped} earlier messages removed") and "read" in note
    assert fitted[3].role == "assistant"  # the tail never opens with an orphaned tool result
    assert fitted[-1].parts[0].tool_call_id == msgs[-1].parts[0].tool_call_id
    assert len(msgs) == 82  # the transcript itself is untouched


def test_large_tool_results_are_cut_first():
    msgs = _turns(2, 100)
    msgs.append(Message("tool", [ToolResultPart("big", "line\n" * 20_000)]))
    fitted, dropped = fit_to_window(msgs, 32_000)
    assert dropped == 0 and total_tokens(fitted) <= target_tokens(32_000)
    assert "[OUTPUT TRUNCATED" in fitted[-1].parts[0].content


def test_truncate_text_cuts_at_a_line_break():
    text = "\n".join(f"line {i}" for i in range(2000))
    cut = truncate_text(text, 100)
    assert cut.split("...")[0].endswith(tuple("0123456789")) and "OUTPUT TRUNCATED" in cut
