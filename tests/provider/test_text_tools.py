"""The text tool-call protocol: parsing replies (fences, escapes, malformed blocks) and rendering the transcript."""

from __future__ import annotations

import json

from codetether.provider.model import Message, TextPart, ToolCallPart, ToolResultPart
from codetether.provider.text_tools import VisibleText, parse_reply, render_messages, render_transcript
from tests.provider.helpers import READ_TOOL


def _calls(reply):
    return [(c.name, json.loads(c.arguments)) for c in reply.calls]


def test_blocks_become_calls_and_the_rest_stays_text():
    reply = parse_reply('Looking.\n<tool_call>\n{"name": "read", "arguments": {"path": "a.py"}}\n</tool_call>\n'
                        'and\n<tool_call>{"name": "grep", "arguments": "{\\"pattern\\": \\"x\\"}"}</tool_call>')
    assert _calls(reply) == [("read", {"path": "a.py"}), ("grep", {"pattern": "x"})]
    assert reply.text == "Looking.\n\nand" and reply.finish_reason == "tool_calls"
    assert len({c.id for c in reply.calls}) == 2
    message = reply.message()
    assert isinstance(message.parts[0], TextPart) and message.tool_calls == reply.calls


def test_code_fences_around_or_inside_blocks():
    outside = parse_reply('Sure.\n```xml\n<tool_call>{"name": "read", "arguments": {"path": "a"}}</tool_call>\n```')
    inside = parse_reply('<tool_call>\n```json\n{"name": "read", "arguments": {"path": "a"}}\n```\n</tool_call>')
    assert _calls(outside) == _calls(inside) == [("read", {"path": "a"})]
    assert outside.text == "Sure." and inside.text == ""


def test_markdown_and_html_escaped_markers():
    md = parse_reply('\\<tool\\_call\\>\n{"name":"read","arguments":{"file\\_path":"a\\_b.py"}}\n\\</tool\\_call\\>')
    html = parse_reply('&lt;tool_call&gt;{"name": "read", "arguments": {}}&lt;/tool_call&gt;')
    assert _calls(md) == [("read", {"file_path": "a_b.py"})]
    assert _calls(html) == [("read", {})]


def test_malformed_blocks_are_left_as_text():
    for text in ('<tool_call>{"name": "read", "arguments": {"path": </tool_call>',  # broken JSON
                 '<tool_call>{"arguments": {}}</tool_call>',  # no name
                 '<tool_call>{"name": "read", "arguments": [1]}</tool_call>',  # arguments not an object
                 '<tool_call>["read"]</tool_call>',
                 'prose that only mentions <tool_call> blocks'):
        reply = parse_reply(text)
        assert reply.calls == [] and reply.text == text.strip() and reply.finish_reason == "stop"


def test_bad_block_stays_while_good_ones_are_taken():
    reply = parse_reply('<tool_call>oops</tool_call> then <tool_call>{"name": "list", "arguments": null}</tool_call>')
    assert _calls(reply) == [("list", {})]
    assert reply.text == "<tool_call>oops</tool_call> then"


def test_invented_results_are_dropped_and_json_escapes_survive():
    reply = parse_reply('<tool_call>{"name": "bash", "arguments": {"command": "printf \'a\\\\nb\'"}}</tool_call>\n'
                        '<tool_result name="bash">made up</tool_result>')
    assert _calls(reply) == [("bash", {"command": "printf 'a\\nb'"})]
    assert reply.text == ""


def test_fenced_bare_json_counts_only_for_offered_tools():
    text = 'Here:\n```json\n{"name": "read", "arguments": {"path": "a"}}\n```'
    assert _calls(parse_reply(text, ["read"])) == [("read", {"path": "a"})]
    assert parse_reply(text, ["grep"]).calls == [] and parse_reply(text).calls == []
    example = 'An example:\n```json\n{"name": "read", "arguments": {"path": "a"}}\n```'
    assert parse_reply(example, []).text == example


def test_transcript_carries_tools_calls_and_results_as_text():
    messages = [Message.text("system", "You are helpful."), Message.text("user", "read a.py"),
                Message("assistant", [TextPart("Reading."), ToolCallPart("c1", "read", '{"path": "a.py"}')]),
                Message("tool", [ToolResultPart("c1", "print(1)")]),
                Message("tool", [ToolResultPart("c2", "boom", is_error=True)])]
    turns = render_messages(messages, [READ_TOOL])
    assert [r for r, _ in turns] == ["system", "user", "assistant", "user"]
    assert turns[0][1].startswith("You are helpful.") and "## read" in turns[0][1] and "<tool_call>" in turns[0][1]
    assert '<tool_call>\n{"name": "read", "arguments": {"path": "a.py"}}\n</tool_call>' in turns[2][1]
    assert '<tool_result name="read">\nprint(1)\n</tool_result>' in turns[3][1]
    assert '<tool_result name="unknown" status="error">\nboom' in turns[3][1]
    transcript = render_transcript(messages, [])
    assert "# Tools" not in transcript and transcript.endswith("[ASSISTANT]") and "[USER]\nread a.py" in transcript


def test_visible_text_streams_only_what_the_final_text_starts_with():
    full = '  Checking the file.  \n<tool_call>{"name": "read", "arguments": {}}</tool_call>'
    visible = VisibleText()
    shown = "".join(visible.delta(full[:i]) for i in range(len(full) + 1))
    final = parse_reply(full).text
    assert shown == "Checking the file." and final.startswith(shown)
    assert visible.finish(final) == ""
    plain = VisibleText()
    partial = plain.delta("Answer: <tool_ca")  # could still become a marker: held back
    assert partial == "Answer:" and plain.finish("Answer: <tool_call is mentioned") == " <tool_call is mentioned"
