"""Malformed tool calls as real models send them, each with what must happen: run with exactly the intended
arguments, refuse with the parameter list, or refuse as cut off (nothing written).

Every case belongs to a class of damage; SOURCES names the public reports each class was collected from (issue
trackers of agent CLIs, model servers and SDKs, where users posted what Qwen, GLM, DeepSeek, Kimi, Gemini, gpt-oss
and others actually emitted). The arguments below are our own, shaped like those reports.

wire: "native" = the provider's tool-call field (OpenAI tool_calls / Anthropic tool_use, streamed as
input_json_delta fragments); "text" = the call written into the reply text, as models do when the server lacks
their tool parser. finish "length" = the reply hit max_tokens (Anthropic: stop_reason max_tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DATA = "".join(f"line {i}\n" for i in range(1, 31))  # data.txt in the corpus workspace
APP = 'def greet():\n    return "helo"\n\nprint(greet())\n'  # app.py
EDIT_ME = "done fenced\n"  # edit_me.txt, for the multiedit cases

SOURCES: dict[str, list[str]] = {
    "trailing_comma": ["https://github.com/huggingface/chat-ui/pull/1229",
                       "https://github.com/langchain4j/langchain4j/pull/1352",
                       "https://github.com/GeniePod/genie-claw/pull/469"],
    "single_quotes": ["https://github.com/waybarrios/vllm-mlx/issues/63 (Qwen3-Coder under opencode)",
                      "https://github.com/NousResearch/atropos/issues/478",
                      "https://github.com/ml-explore/mlx-lm/pull/945"],
    "python_literals": ["https://github.com/waybarrios/vllm-mlx/issues/63 (capitalized True/False)"],
    "code_fence": ["https://github.com/earendil-works/pi/issues/8858 (DeepSeek harness reports)",
                   "https://github.com/agents-flex/agents-flex/pull/64",
                   "https://github.com/just-every/code/pull/355 (OpenRouter)"],
    "prose_around": ["https://github.com/just-every/code/pull/355 (surrounding prose)",
                     "https://github.com/agents-flex/agents-flex/pull/64 (ReAct 'Action Input:' prefix)"],
    "extra_brace": ["https://github.com/yigit353/langchain-qwq/issues/30 (QwQ: an extra closing brace)"],
    "trailing_tag": ["https://github.com/openvinotoolkit/model_server/issues/3838 ('}\\n</tool_call>' in arguments)"],
    "raw_control_chars": ["https://github.com/ggml-org/llama.cpp/pull/5888 (raw \\n, \\r, 0x1B in strings)",
                          "https://github.com/abetlen/llama-cpp-python/issues/1259",
                          "https://github.com/langroid/langroid/pull/569",
                          "https://github.com/earendil-works/pi/issues/8521"],
    "escaped_whitespace": ["https://github.com/OpenHands/software-agent-sdk/issues/2488 (Qwen3.5-Flash: \\n "
                           "outside strings)"],
    "double_encoded": ["https://github.com/tailcallhq/forgecode/pull/2764",
                       "https://github.com/MoonshotAI/kimi-cli/pull/2513 (Moonshot API)",
                       "https://github.com/ollama/ollama/pull/12413"],
    "stringified_nested": ["https://github.com/MoonshotAI/kimi-cli/pull/2513 (todos as a string)",
                           "https://github.com/earendil-works/pi/pull/3370 (Opus 4.6, GLM-5.1: edits as a string)",
                           "https://github.com/coctostan/pi-hashline-readmap/issues/145 (GLM, Qwen)",
                           "https://github.com/earendil-works/pi/issues/8962 (an array of JSON strings)"],
    "single_for_array": ["https://github.com/earendil-works/pi/issues/7835",
                         "https://github.com/earendil-works/pi/pull/7904"],
    "string_scalars": ["https://github.com/anthropics/claude-code/issues/30197 (offset \"50\")",
                       "https://github.com/MoonshotAI/kimi-code/issues/3381 (Qwen3.8-Flash: line_offset \"200\")",
                       "https://github.com/vllm-project/vllm/issues/41122 (DeepSeek V4: \"true\")"],
    "enum_case": ["https://github.com/sgl-project/sglang/pull/15140 (gpt-oss: case-insensitive enums)"],
    "tool_name_case": ["https://github.com/earendil-works/pi/issues/4517 (Ring 2.6: Read, Edit)",
                       "https://github.com/lijunzh/koda/issues/49 (qwen2.5-coder-7b)",
                       "https://github.com/Tencent/AI-Infra-Guard/pull/360 (Read_file)",
                       "https://github.com/itayinbarr/little-coder/pull/92 (Qwen 3.6: Bash vs bash)"],
    "tool_name_wrapped": ["https://github.com/cubist38/mlx-openai-server/pull/51 (gpt-oss: functions. prefix)",
                          "https://github.com/vllm-project/vllm/pull/32633 (Harmony tokens in tool names)",
                          "https://github.com/pydantic/pydantic-ai/pull/7167 (<|channel|> suffix)",
                          "https://github.com/UKGovernmentBEIS/inspect_ai/pull/2990 (Gemini: default_api.)"],
    "param_alias": ["https://github.com/cortexkit/aft/issues/148 (GLM: filePath for path)",
                    "https://github.com/7836246/cursor2api/issues/15 (path vs file_path)",
                    "https://github.com/QwenLM/qwen-code/pull/3313 (file_path)"],
    "envelope": ["https://github.com/ollama/ollama/pull/17486 (duplicated {name, arguments} envelope)",
                 "https://github.com/Kilo-Org/kilocode/pull/3282 (qwen3-coder: arguments wrapper)",
                 "https://github.com/vllm-project/vllm/pull/40959 (DeepSeek DSML: one 'arguments' parameter)"],
    "null_or_empty": ["https://github.com/braintrustdata/braintrust-sdk-javascript/pull/1335 (GLM-4.6: None)",
                      "https://github.com/vllm-project/vllm/issues/28806 (empty arguments dropped)"],
    "text_xml": ["https://github.com/theroyallab/tabbyAPI/pull/378 (Qwen Coder and GLM-4.6 writing the tokens)",
                 "https://github.com/lablup/mlxcel/issues/204 (Qwen3-Coder XML as raw text)",
                 "https://github.com/ggml-org/llama.cpp/pull/16932 (GLM 4.5/4.6, Qwen3-Coder XML formats)"],
    "text_json": ["https://github.com/BerriAI/litellm/issues/12679 (Kimi K2 spits raw tools as text)",
                  "https://github.com/NousResearch/atropos/issues/478 (<tool_call> JSON parsed from text)"],
    "text_kimi": ["https://github.com/NousResearch/hermes-agent/issues/24534 (kimi-k2.6 via OpenRouter: raw "
                  "<|tool_calls_section_begin|> tokens as content)",
                  "https://github.com/vybestack/llxprt-code/issues/749 (Kimi K2 Thinking)",
                  "https://github.com/ggml-org/llama.cpp/pull/17376 (the singular <|tool_call_section_begin|>)"],
    "regex_backslash": ["https://github.com/ggml-org/llama.cpp/issues/13825 (Qwen3-14B: string escaping in "
                        "tool args)"],
    "python_escapes": ["https://github.com/waybarrios/vllm-mlx/issues/63 (Python literal syntax)"],
    # Refused: two readings, or content that would have to be invented or dropped.
    "broken_key": ["https://github.com/deepseek-ai/DeepSeek-V3/issues/1069 (a key missing its closing quote)"],
    "concatenated": ["https://github.com/NousResearch/hermes-agent/pull/26053 (gemini-3-flash: {..}{..})",
                     "https://github.com/continuedev/continue/issues/5590",
                     "https://github.com/anomalyco/opencode/issues/26131"],
    "duplicate_keys": ["https://github.com/anomalyco/opencode/issues/26131 (filePath given several times)"],
    "unknown_tool": ["https://github.com/anomalyco/opencode/issues/34071 (Kimi K2.7 calls tool 'invalid')"],
    "missing_required": ["https://github.com/anomalyco/opencode/issues/34071 (glob without pattern)",
                         "https://github.com/esengine/DeepSeek-Reasonix/pull/621 (read_file({}))"],
    "lossy_scalar": ["https://github.com/MoonshotAI/kimi-code/issues/3381 (numbers as strings; a fraction "
                     "is not an integer)"],
    "ambiguous_escape": ["https://github.com/NousResearch/atropos/issues/478 (apostrophes and quote handling)"],
    "alias_conflict": ["https://github.com/cortexkit/aft/issues/148 (path and filePath mixed)"],
    "wrong_shape": ["https://github.com/anomalyco/opencode/issues/26498 (DeepSeek: arrays and decorated "
                    "values)"],
    # Cut off: never run with what arrived.
    "cut_off_length": ["https://github.com/ahwurm/localharness/issues/77 (finish_reason=length ignored, "
                       "truncated writes)",
                       "https://github.com/can1357/oh-my-pi/pull/1786 (stop_reason length mid input_json_delta)",
                       "https://github.com/QwenLM/qwen-code/pull/3313 (WriteFile cut: file_path missing)",
                       "https://github.com/danny-avila/LibreChat/pull/14043 (content dropped by the limit)"],
    "cut_off_stream": ["https://github.com/vllm-project/vllm/issues/32152 (hermes parser drops the final brace)",
                       "https://github.com/gsd-build/gsd-2/issues/2670 (Anthropic stream truncated mid-JSON)",
                       "https://github.com/anomalyco/opencode/issues/20650 (Kimi: unterminated string)"],
}


@dataclass(frozen=True)
class Case:
    id: str
    cls: str  # a key of SOURCES
    name: str  # the tool name as sent ("" for text-wire cases: the text names it)
    arguments: str  # the raw arguments (native) or the whole reply text (text wire)
    expect: str  # run | refuse | cut_off
    intended: dict[str, Any] | None = None  # run: exactly what the tool must receive
    wire: str = "native"
    finish: str | None = None
    files: tuple[tuple[str, str | None], ...] = ()  # after the run: path -> exact content (None: must not exist)
    tool: str = ""  # our tool the call means, for the bench's model resending it correctly ("": name)


CASES: list[Case] = [
    # --- certain: repaired and run with exactly the intended arguments ---------------------------------------
    Case("trailing-comma-object", "trailing_comma", "read", '{"path": "data.txt", "limit": 2,}', "run",
         {"path": "data.txt", "limit": 2}),
    Case("trailing-comma-array", "trailing_comma", "todo_write",
         '{"todos": [{"content": "fix greeting", "status": "pending"},],}', "run",
         {"todos": [{"content": "fix greeting", "status": "pending"}]}),
    Case("single-quotes", "single_quotes", "read", "{'path': 'data.txt', 'offset': 2, 'limit': 2}", "run",
         {"path": "data.txt", "offset": 2, "limit": 2}),
    Case("single-quotes-apostrophe", "single_quotes", "write",
         "{'path': 'out/quote.txt', 'content': \"it's done\\n\"}", "run",
         {"path": "out/quote.txt", "content": "it's done\n"}, files=(("out/quote.txt", "it's done\n"),)),
    Case("python-bool", "python_literals", "grep", "{'pattern': 'line 7', 'path': 'data.txt', 'is_regex': False}",
         "run", {"pattern": "line 7", "path": "data.txt", "is_regex": False}),
    Case("python-none", "python_literals", "read", '{"path": "data.txt", "offset": 3, "limit": None}', "run",
         {"path": "data.txt", "offset": 3, "limit": None}),
    Case("fence-json", "code_fence", "write", '```json\n{"path": "out/fence.txt", "content": "fenced\\n"}\n```',
         "run", {"path": "out/fence.txt", "content": "fenced\n"}, files=(("out/fence.txt", "fenced\n"),)),
    Case("fence-bare", "code_fence", "read", '```\n{"path": "data.txt", "offset": 4, "limit": 1}\n```', "run",
         {"path": "data.txt", "offset": 4, "limit": 1}),
    Case("prose-around", "prose_around", "read",
         'Action Input: {"path": "data.txt", "offset": 5, "limit": 1} (reading the data)', "run",
         {"path": "data.txt", "offset": 5, "limit": 1}),
    Case("extra-brace", "extra_brace", "bash", '{"command": "echo extra-brace-ok"}}', "run",
         {"command": "echo extra-brace-ok"}),
    Case("trailing-tag", "trailing_tag", "read", '{"path": "data.txt", "offset": 6, "limit": 1}\n</tool_call>',
         "run", {"path": "data.txt", "offset": 6, "limit": 1}),
    Case("raw-newlines", "raw_control_chars", "write",
         '{"path": "out/raw.py", "content": "def f():\n    return 1\n"}', "run",
         {"path": "out/raw.py", "content": "def f():\n    return 1\n"},
         files=(("out/raw.py", "def f():\n    return 1\n"),)),
    Case("raw-tab", "raw_control_chars", "write", '{"path": "out/tab.tsv", "content": "a\tb\n"}', "run",
         {"path": "out/tab.tsv", "content": "a\tb\n"}, files=(("out/tab.tsv", "a\tb\n"),)),
    Case("escaped-newline-between", "escaped_whitespace", "read", '{"path": "data.txt",\\n"offset": 7,\\n"limit": 1}',
         "run", {"path": "data.txt", "offset": 7, "limit": 1}),
    Case("double-encoded", "double_encoded", "read", '"{\\"path\\": \\"data.txt\\", \\"offset\\": 8}"', "run",
         {"path": "data.txt", "offset": 8}),
    Case("stringified-array", "stringified_nested", "todo_write",
         '{"todos": "[{\\"content\\": \\"write tests\\", \\"status\\": \\"in_progress\\"}]"}', "run",
         {"todos": [{"content": "write tests", "status": "in_progress"}]}),
    Case("array-of-json-strings", "stringified_nested", "multiedit",
         '{"edits": ["{\\"path\\": \\"edit_me.txt\\", \\"old_string\\": \\"done\\", \\"new_string\\": '
         '\\"finished\\"}"]}', "run",
         {"edits": [{"path": "edit_me.txt", "old_string": "done", "new_string": "finished"}]}),
    Case("single-object-for-array", "single_for_array", "multiedit",
         '{"edits": {"path": "edit_me.txt", "old_string": "fenced", "new_string": "unfenced"}}', "run",
         {"edits": [{"path": "edit_me.txt", "old_string": "fenced", "new_string": "unfenced"}]},
         files=(("edit_me.txt", "finished unfenced\n"),)),
    Case("string-integers", "string_scalars", "read", '{"path": "data.txt", "offset": "9", "limit": "2"}', "run",
         {"path": "data.txt", "offset": 9, "limit": 2}),
    Case("string-boolean", "string_scalars", "grep",
         '{"pattern": "line 2[0-9]", "path": "data.txt", "is_regex": "true"}', "run",
         {"pattern": "line 2[0-9]", "path": "data.txt", "is_regex": True}),
    Case("enum-case", "enum_case", "todo_write", '{"todos": [{"content": "ship", "status": "Blocked"}]}', "run",
         {"todos": [{"content": "ship", "status": "blocked"}]}),
    Case("name-capitalized", "tool_name_case", "Read", '{"path": "data.txt", "offset": 10, "limit": 1}', "run",
         {"path": "data.txt", "offset": 10, "limit": 1}),
    Case("name-bash-cased", "tool_name_case", "Bash", '{"command": "echo cased-name-ok"}', "run",
         {"command": "echo cased-name-ok"}),
    Case("name-other-agent", "tool_name_case", "Read_file", '{"path": "data.txt", "offset": 11, "limit": 1}',
         "run", {"path": "data.txt", "offset": 11, "limit": 1}),
    Case("name-functions-prefix", "tool_name_wrapped", "functions.read",
         '{"path": "data.txt", "offset": 12, "limit": 1}', "run", {"path": "data.txt", "offset": 12, "limit": 1}),
    Case("name-harmony-suffix", "tool_name_wrapped", "glob<|channel|>commentary", '{"pattern": "*.txt"}', "run",
         {"pattern": "*.txt"}),
    Case("name-default-api", "tool_name_wrapped", "default_api.list", '{"path": "out"}', "run", {"path": "out"}),
    Case("param-file_path", "param_alias", "read", '{"file_path": "data.txt", "offset": 13, "limit": 1}', "run",
         {"path": "data.txt", "offset": 13, "limit": 1}),
    Case("param-filePath", "param_alias", "write", '{"filePath": "out/camel.txt", "content": "camel\\n"}', "run",
         {"path": "out/camel.txt", "content": "camel\n"}, files=(("out/camel.txt", "camel\n"),)),
    Case("param-old_str", "param_alias", "edit", '{"path": "app.py", "old_str": "\\"helo\\"", "new_str": '
         '"\\"hello\\""}', "run", {"path": "app.py", "old_string": '"helo"', "new_string": '"hello"'},
         files=(("app.py", APP.replace('"helo"', '"hello"')),)),
    Case("envelope-name-arguments", "envelope", "read",
         '{"name": "read", "arguments": {"path": "data.txt", "offset": 14, "limit": 1}}', "run",
         {"path": "data.txt", "offset": 14, "limit": 1}),
    Case("envelope-arguments-string", "envelope", "read",
         '{"arguments": "{\\"path\\": \\"data.txt\\", \\"offset\\": 15, \\"limit\\": 1}"}', "run",
         {"path": "data.txt", "offset": 15, "limit": 1}),
    Case("null-arguments", "null_or_empty", "todo_read", "null", "run", {}),
    Case("qwen-xml-text", "text_xml", "", "<tool_call>\n<function=read>\n<parameter=path>\ndata.txt\n</parameter>\n"
         "<parameter=offset>\n16\n</parameter>\n<parameter=limit>\n1\n</parameter>\n</function>\n</tool_call>", "run",
         {"path": "data.txt", "offset": 16, "limit": 1}, tool="read", wire="text"),
    Case("empty-arguments", "null_or_empty", "todo_read", "", "run", {}),
    Case("glm-xml-text", "text_xml", "", "<tool_call>read\n<arg_key>path</arg_key>\n<arg_value>data.txt</arg_value>\n"
         "<arg_key>offset</arg_key>\n<arg_value>17</arg_value>\n</tool_call>", "run",
         {"path": "data.txt", "offset": 17}, tool="read", wire="text"),
    Case("hermes-json-text", "text_json", "",
         'I will run it.\n<tool_call>\n{"name": "bash", "arguments": {"command": "echo hermes-text-ok"}}\n</tool_call>',
         "run", {"command": "echo hermes-text-ok"}, tool="bash", wire="text"),
    Case("hermes-python-text", "text_json", "",
         "<tool_call>{'name': 'read', 'arguments': {'path': 'data.txt', 'offset': 18, 'limit': 1}}</tool_call>",
         "run", {"path": "data.txt", "offset": 18, "limit": 1}, tool="read", wire="text"),
    Case("kimi-tokens-text", "text_kimi", "",
         "Writing it.<|tool_calls_section_begin|><|tool_call_begin|>functions.write:0<|tool_call_argument_begin|>"
         '{"path": "out/kimi.txt", "content": "from kimi\\n"}<|tool_call_end|><|tool_calls_section_end|>', "run",
         {"path": "out/kimi.txt", "content": "from kimi\n"}, tool="write", wire="text",
         files=(("out/kimi.txt", "from kimi\n"),)),
    Case("regex-backslash", "regex_backslash", "grep", '{"pattern": "line 1\\d$", "path": "data.txt", '
         '"is_regex": true}', "run", {"pattern": "line 1\\d$", "path": "data.txt", "is_regex": True}),
    Case("python-escapes", "python_escapes", "write", "{'path': 'out/cafe.txt', 'content': 'caf\\xe9\\n'}", "run",
         {"path": "out/cafe.txt", "content": "café\n"}, files=(("out/cafe.txt", "café\n"),)),
    Case("complete-despite-length", "cut_off_length", "write", '{"path": "out/whole.txt", "content": "whole\\n"}',
         "run", {"path": "out/whole.txt", "content": "whole\n"}, finish="length",
         files=(("out/whole.txt", "whole\n"),)),
    # --- refused with the parameter list: repairing would mean choosing between readings ----------------------
    Case("broken-key", "broken_key", "read", '{"path: "data.txt"}', "refuse"),
    Case("concatenated-objects", "concatenated", "read", '{"path": "data.txt"}{"path": "app.py"}', "refuse"),
    Case("duplicate-keys", "duplicate_keys", "write",
         '{"path": "out/dup-a.txt", "content": "x", "path": "out/dup-b.txt"}', "refuse",
         files=(("out/dup-a.txt", None), ("out/dup-b.txt", None))),
    Case("unknown-tool", "unknown_tool", "invalid", '{"tool": "glob"}', "refuse"),
    Case("missing-required", "missing_required", "glob", "{}", "refuse"),
    Case("fraction-for-integer", "lossy_scalar", "read", '{"path": "data.txt", "limit": "2.5"}', "refuse"),
    Case("ambiguous-escape", "ambiguous_escape", "bash", '{"command": "printf \\\'%s\\\' x"}', "refuse"),
    Case("alias-conflict", "alias_conflict", "write",
         '{"path": "out/alias-a.txt", "file_path": "out/alias-b.txt", "content": "x"}', "refuse",
         files=(("out/alias-a.txt", None), ("out/alias-b.txt", None))),
    Case("command-as-array", "wrong_shape", "shell", '{"command": ["bash", "-lc", "echo never"]}', "refuse"),
    # --- cut off: never run with what arrived; no file written -------------------------------------------------
    Case("cut-write-content", "cut_off_length", "write",
         '{"path": "out/big.py", "content": "def a():\\n    return 1\\n\\ndef b():\\n    retu', "cut_off",
         finish="length", files=(("out/big.py", None),)),
    Case("cut-write-key", "cut_off_length", "write", '{"path": "out/big2.py", "cont', "cut_off", finish="length",
         files=(("out/big2.py", None),)),
    Case("cut-before-path", "cut_off_length", "write", '{"content": "import os\\nimport sys\\n', "cut_off",
         finish="length"),
    Case("cut-bash", "cut_off_length", "bash", '{"command": "echo one && echo tw', "cut_off", finish="length"),
    Case("cut-unicode-escape", "cut_off_length", "write", '{"path": "out/u.txt", "content": "caf\\u00', "cut_off",
         finish="length", files=(("out/u.txt", None),)),
    Case("cut-single-quoted", "cut_off_length", "write", "{'path': 'out/sq.py', 'content': 'x = 1\\ny = ", "cut_off",
         finish="length", files=(("out/sq.py", None),)),
    Case("dropped-final-brace", "cut_off_stream", "edit",
         '{"path": "app.py", "old_string": "print(greet())", "new_string": "print(greet().upper())"', "cut_off",
         files=(("app.py", APP.replace('"helo"', '"hello"')),)),
    Case("unterminated-string", "cut_off_stream", "read", '{"filePath":": [.', "cut_off"),
    Case("cut-text-block", "cut_off_length", "",
         '<tool_call>{"name": "write", "arguments": {"path": "out/cut_text.py", "content": "x = [1, 2,', "cut_off",
         tool="write", wire="text", finish="length", files=(("out/cut_text.py", None),)),
    Case("cut-kimi-tokens", "text_kimi", "",
         "<|tool_call_section_begin|> <|tool_call_begin|> functions.write:0 <|tool_call_argument_begin|> "
         '{"path": "out/kimi_cut.py", "content": "x = 1\\ny = "', "cut_off", tool="write", wire="text",
         finish="length", files=(("out/kimi_cut.py", None),)),
]
