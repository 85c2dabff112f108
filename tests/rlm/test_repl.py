"""The restricted interpreter: whitelisted commands with literal arguments only; everything else is refused."""

from __future__ import annotations

import asyncio

import pytest

from codetether.rlm.context import RlmContext
from codetether.rlm.repl import Interpreter, parse_commands

TEXT = "".join(f"line {i} {'ERROR disk full' if i % 10 == 0 else 'INFO ok'}\n" for i in range(1, 101))


def run(text: str, interp: Interpreter | None = None):
    interp = interp or Interpreter(RlmContext.build(TEXT))
    return asyncio.run(interp.run(text))


def only(text: str, interp: Interpreter | None = None) -> str:
    results, final = run(text, interp)
    assert final is None and len(results) == 1, results
    return results[0]


@pytest.mark.parametrize(("command", "message"), [
    ('os.system("rm -rf /")', "attribute access"),
    ('__import__("os").system("id")', "attribute access"),
    ('__import__("os")', "unknown command '__import__'"),
    ('open("/etc/passwd")', "unknown command 'open'"),
    ('eval("1")', "unknown command 'eval'"),
    ('grep(pattern)', "must be string or integer literals"),
    ('grep("a" + "b")', "must be string or integer literals"),
    ('grep(f"{x}")', "must be string or integer literals"),
    ('head([1, 2])', "must be string or integer literals"),
    ('head(True)', "must be string or integer literals"),
    ('head(n=1, **{"a": 1})', "must be string or integer literals"),
    ('chunk(0)[0]', "Subscript expressions are not allowed"),
    ('head(lambda: 1)', "must be string or integer literals"),
    ('FINAL(FINAL("x"))', "FINAL() cannot be used as an argument"),
    ('count(count("x"))', "count() cannot be used as an argument"),
    ('head("ten")', "'n' of head() must be an integer"),
    ('lines(1)', "lines() needs 'end'"),
    ('grep("x", 1, 2)', "grep() takes at most 2 argument(s)"),
    ('grep(pattern="x", limit=3)', "grep() has no parameter 'limit'"),
    ('grep("(a+)+$")', "nested repeats"),
    ('grep("(x|xy)*z")', "alternation inside a repeat"),
    ('grep("(a)\\\\1")', "backreferences"),
    ('grep("a.*b.*c.*d")', "3 unbounded repeats"),
    ('grep("[")', "invalid regex"),
    ('lines(5, 1)', "start <= end"),
    ('chunk(99)', "out of range"),
    ('llm_query("q", head(1))', "llm_query is not available here"),
])
def test_refused_commands_explain_themselves(command, message):
    result = only(command)
    assert result.startswith(f"[1] {command}\nERROR: ") and message in result, result


@pytest.mark.parametrize("block", ["import os", "x = 1", "del x", "grep('x'); import os", "while True: pass",
                                   "grep('unclosed"])
def test_statements_in_a_command_block_do_not_parse(block):
    result = only(f"```\n{block}\n```")
    assert "ERROR: could not parse" in result


def test_prose_without_commands_is_an_error_the_model_sees():
    results, final = run("I think the answer is probably in the logs somewhere.")
    assert final is None and results[0].startswith("ERROR: no command found")


def test_search_and_view_commands():
    assert only('count("ERROR")').endswith("10 matches on 10 lines")
    assert only('count("l")').endswith("120 matches on 100 lines")  # "full" counts twice
    grep = only('grep("ERROR", max_results=2)')
    assert "10 matching lines (showing the first 2)\n10: line 10 ERROR disk full\n20: line 20 ERROR" in grep
    assert only("head(2)").endswith("line 1 INFO ok\nline 2 INFO ok")
    assert only("tail(1)").endswith("\nline 100 ERROR disk full")
    assert only("lines(9, 10)").endswith("line 9 INFO ok\nline 10 ERROR disk full")
    assert only("slice(0, 6)").endswith("\nline 1")
    assert only("slice(-5, -1)").endswith("\nfull")
    assert "chunks:\n0: lines 1-100" in only("chunks()")
    assert only("chunk(0)").endswith(TEXT.rstrip("\n")[-40:])


def test_several_commands_run_in_order_and_final_ends_the_round():
    results, final = run('Plan:\n```python\n# count first\ncount("ERROR")\nhead(1)\nFINAL("""ten errors,\n'
                         'all disk full""")\ntail(1)\n```')
    assert [r.split("\n")[0] for r in results] == ['[1] count("ERROR")', "[2] head(1)"]
    assert final is not None and final.answer == "ten errors,\nall disk full"


def test_results_are_capped_with_a_hint():
    interp = Interpreter(RlmContext.build(TEXT * 50), result_chars=500)
    result = only("head(1000)", interp)
    assert len(result) < 700 and "[result cut: showing" in result and "lines(a, b)" in result


def test_llm_query_gets_the_nested_text_and_is_bounded():
    asked: list[tuple[str, str]] = []

    async def sub(question: str, text: str) -> tuple[str, int, str]:
        asked.append((question, text))
        return f"answer {len(asked)}", 42, ""

    interp = Interpreter(RlmContext.build(TEXT), sub, max_subcalls=2)
    assert only('llm_query("what fails?", grep("ERROR", max_results=3))', interp).endswith("\nanswer 1")
    assert asked[0][0] == "what fails?" and asked[0][1].startswith("10 matching lines (showing the first 3)\n10:")
    assert only('llm_query("first line?", text=lines(1, 1))', interp).endswith("answer 2")
    assert asked[1][1] == "line 1 INFO ok"
    assert "sub-query budget (2) is used up" in only('llm_query("again")', interp)
    record = interp.sub_queries[0]
    assert (record.query, record.context_slice, record.response, record.tokens_used) == (
        "what fails?", "grep('ERROR', max_results=3)", "answer 1", 42)


def test_parse_commands_ignores_prose_outside_fences():
    parsed = parse_commands("First I will look.\ncount('x')\nThen decide.\nFINAL('y')")
    assert [p.source for p in parsed] == ["count('x')", "FINAL('y')"]
    assert all(p.error is None for p in parsed)


@pytest.mark.parametrize("command", ["head(" + "-" * 100_000 + "1)", "head(" + "1+" * 100_000 + "1)",
                                     "head(" * 300 + ")" * 300, "head(" + "9" * 5000 + ")"],
                         ids=["unary-chain", "binop-chain", "deep-calls", "huge-int"])
def test_pathological_input_is_an_error_not_a_crash(command):
    assert "ERROR: could not parse" in only(command)
