"""Checking a call before it runs: names, schema fitting, refusals, the loop guard and overflow messages."""

from __future__ import annotations

import json

import pytest

from codetether.agent.calls import CutOff, check_call, describe_parameters
from codetether.agent.loop_guard import LoopGuard
from codetether.provider.model import ToolCallPart
from codetether.provider.overflow import parse_overflow
from codetether.provider.text_tools import parse_reply
from codetether.tool.registry import ToolSet, load_tool
from codetether.tool.support.fit import ArgumentConflict, fit_arguments
from codetether.tool.support.names import resolve_name

TOOLS = ToolSet.named(("read", "write", "edit", "multiedit", "bash", "grep", "glob", "todo_write"), on_demand=False)


def check(name: str, arguments: str, **kw):
    return check_call(ToolCallPart("c1", name, arguments), TOOLS, agent="build", **kw)


@pytest.mark.parametrize("given, expected", [
    ("read", "read"), ("Read", "read"), ("READ", "read"), ("functions.read", "read"), ("read:0", "read"),
    ("read<|channel|>commentary", "read"), ("default_api.bash", "bash"), ("read_file", "read"),
    ("TodoWrite", "todo_write"), ("str_replace", "edit"), ("run_shell_command", "bash"), (" `grep` ", "grep"),
    ("invalid", None), ("", None), ("ls", None),  # ls is list's alias, and list is not in this set
])
def test_tool_names(given, expected):
    assert resolve_name(given, TOOLS.names)[0] == expected


def test_exact_name_beats_alias_and_ambiguous_names_match_nothing():
    assert resolve_name("read_file", ["read", "read_file"]) == ("read_file", None)
    assert resolve_name("Foo", ["foo", "FOO"])[0] is None


def test_parameter_names_map_only_with_one_candidate():
    write = load_tool("write").parameters
    assert fit_arguments("write", write, {"file_path": "a", "text": "x"})[0] == {"path": "a", "content": "x"}
    # Two names for the same parameter: no choice is made, validation reports what is missing.
    assert fit_arguments("write", write, {"filename": "a", "file": "b", "content": "x"})[0] == \
        {"filename": "a", "file": "b", "content": "x"}
    with pytest.raises(ArgumentConflict):
        fit_arguments("write", write, {"path": "a", "filePath": "b", "content": "x"})
    same, notes = fit_arguments("write", write, {"path": "a", "filePath": "a", "content": "x"})
    assert same["path"] == "a" and notes == []


@pytest.mark.parametrize("given, fitted", [
    ({"path": "a", "offset": "3"}, {"path": "a", "offset": 3}),
    ({"path": "a", "offset": 3.0}, {"path": "a", "offset": 3}),
    ({"path": "a", "offset": "3.5"}, {"path": "a", "offset": "3.5"}),  # not lossless: left for validation
    ({"path": "a", "offset": "03"}, {"path": "a", "offset": "03"}),
    ({"path": "a", "offset": True}, {"path": "a", "offset": True}),
    ({"path": 5}, {"path": "5"}),
    ({"path": 5.5}, {"path": 5.5}),
])
def test_scalars_convert_only_losslessly(given, fitted):
    assert fit_arguments("read", load_tool("read").parameters, given)[0] == fitted


def test_refusals_name_the_parameters_and_show_what_came():
    refused = check("write", '{"path": "a.txt"}')
    assert not refused.runnable and refused.reason == "invalid"
    assert "missing required field 'content'" in refused.refusal
    assert "write takes: path (string, required): File path; content (string, required)" in refused.refusal
    assert 'Received (17 chars): {"path": "a.txt"}' in refused.refusal
    assert json.loads(refused.call.arguments) == {"path": "a.txt"}  # the transcript keeps valid JSON
    long = check("bash", '{"command": "' + "x" * 2000)
    assert long.reason == "truncated" and "chars] …" in long.refusal and len(long.refusal) < 1500
    assert long.call.arguments == "{}"
    assert "edits (array of objects {path, old_string, new_string, replace_all?}, required)" in \
        describe_parameters(load_tool("multiedit"))


def test_a_cut_off_last_call_runs_only_when_its_json_is_whole():
    cut = CutOff('your reply hit the output limit (finish_reason "length")', 4096)
    whole = check("write", '{"path": "a", "content": "b"}', cut_off=cut)
    assert whole.runnable and whole.arguments == {"path": "a", "content": "b"}
    repairable = check("write", "{'path': 'a', 'content': 'b'}", cut_off=cut)
    assert not repairable.runnable and "cut off" in repairable.refusal and "4096 tokens" in repairable.refusal
    assert "Write the file in parts" in repairable.refusal


def test_repairs_off_means_exactly_json():
    assert not check("Read", '{"path": "a"}', repair=False).runnable
    assert not check("read", "{'path': 'a'}", repair=False).runnable
    assert not check("read", '{"path": "a", "offset": "2"}', repair=False).runnable
    cut = check("read", '{"path": "a', repair=False)
    assert cut.reason == "truncated" and "cut off" in cut.refusal
    # Refusing what has two readings is not a repair: it stays on.
    assert check("write", '{"path": "a", "content": "x", "path": "b"}', repair=False).reason == "ambiguous"
    assert check("write", '{"path": "a", "file_path": "b", "content": "x"}', repair=False).reason == "ambiguous"


def test_loop_guard_counts_identical_calls_in_a_row():
    guard = LoopGuard(3)
    actions = [guard.check("read", {"path": "a"}, step, can_ask=False).action for step in (1, 2, 3, 4)]
    assert actions == ["run", "run", "refuse", "stop"]
    guard.reset()
    assert [guard.check("read", {"path": x}, 1, can_ask=False).action for x in "aabaab"] == ["run"] * 6
    asking = LoopGuard(2)
    assert [asking.check("bash", {"c": 1}, s, can_ask=True).action for s in (1, 2)] == ["run", "ask"]
    asking.approved()
    assert asking.check("bash", {"c": 1}, 3, can_ask=True).action == "run"
    off = LoopGuard(0)
    assert {off.check("x", {}, s, can_ask=False).action for s in range(10)} == {"run"}


def test_same_step_repeats_are_held_not_stopped():
    guard = LoopGuard(2)
    assert [guard.check("read", {}, 1, can_ask=False).action for _ in range(4)] == ["run", "refuse", "refuse",
                                                                                    "refuse"]


@pytest.mark.parametrize("status, text, limit, prompt", [
    (400, "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (7000 in the "
          "messages, 2000 in the completion).", 8192, 7000),
    (400, '{"error":{"message":"prompt is too long: 214676 tokens > 200000 maximum"}}', 200000, 214676),
    (400, '{"error":{"code":400,"type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}', 4096,
     5000),
    (400, "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).", 1048576,
     1048577),
    (400, "Your input exceeds the context window of this model.", None, None),
    (413, "Request too large: prompt is too long", None, None),
])
def test_context_length_refusals_are_recognised(status, text, limit, prompt):
    overflow = parse_overflow(status, text)
    assert overflow is not None and (overflow.limit, overflow.prompt_tokens) == (limit, prompt)


def test_other_errors_are_not_overflows():
    assert parse_overflow(400, "Invalid 'tools[0].function.name': string does not match pattern") is None
    assert parse_overflow(429, "maximum context length is 8192 tokens") is None


def test_text_protocol_reads_model_formats_and_cut_blocks():
    qwen = parse_reply("<tool_call>\n<function=write>\n<parameter=path>\na.py\n</parameter>\n<parameter=content>\n"
                       "x = 1\n\n</parameter>\n</function>\n</tool_call>")
    assert [(c.name, json.loads(c.arguments)) for c in qwen.calls] == [("write", {"path": "a.py",
                                                                                  "content": "x = 1\n"})]
    assert qwen.repairs[qwen.calls[0].id] == ["call written in the Qwen3-Coder XML format read as JSON"]
    forgot = parse_reply('Reading.\n<tool_call>{"name": "read", "arguments": {"path": "a"}}')
    assert forgot.text == "Reading." and json.loads(forgot.calls[0].arguments) == {"path": "a"}
    assert "the closing </tool_call> tag was missing" in forgot.repairs[forgot.calls[0].id]
    cut = parse_reply('<tool_call>{"name": "write", "arguments": {"path": "a", "content": "abc')
    assert (cut.calls[0].name, cut.calls[0].arguments) == ("write", '{"path": "a", "content": "abc')
    assert not check(cut.calls[0].name, cut.calls[0].arguments).runnable
    cut_xml = parse_reply("<tool_call>\n<function=write>\n<parameter=path>\na.py\n</parameter>\n<parameter=content>\nx")
    assert cut_xml.calls[0].name == "write" and check("write", cut_xml.calls[0].arguments).reason == "truncated"
