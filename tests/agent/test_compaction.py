"""LLM compaction of the request: summary of older turns, cached between steps, truncation when it fails."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from codetether.agent import events as ev
from codetether.agent.compaction import (
    SUMMARY_HEADER,
    Compactor,
    compact_now,
    request_budget,
    shrink_large_output,
    tail_start,
)
from codetether.agent.context import target_tokens, total_tokens
from codetether.agent.loop import Agent, AgentSettings
from codetether.provider.errors import ProviderRequestError
from codetether.provider.model import (
    CompletionRequest,
    CompletionResponse,
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from codetether.tool.base import ToolContext
from codetether.tool.registry import ToolSet

WINDOW = 16_000


class FakeModel:
    """A scripted in-process ChatModel: each complete() returns (or raises) the next scripted item."""

    def __init__(self, *replies: CompletionResponse | Exception):
        self.replies = list(replies)
        self.requests: list[CompletionRequest] = []

    async def complete(self, request, on_delta=None) -> CompletionResponse:
        self.requests.append(replace(request, messages=list(request.messages)))  # the loop may pass its transcript
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def said(text: str, prompt: int = 10, completion: int = 5, calls: list[ToolCallPart] | None = None):
    return CompletionResponse(Message("assistant", [TextPart(text), *(calls or [])]), Usage(prompt, completion))


def transcript(steps: int, size: int, calls_per_step: int = 1) -> list[Message]:
    msgs = [Message.text("system", "sys prompt"), Message.text("user", "the task")]
    for i in range(steps):
        calls = [ToolCallPart(f"c{i}_{j}", "read", f'{{"path":"f{i}"}}') for j in range(calls_per_step)]
        msgs.append(Message("assistant", [TextPart(f"step {i}"), *calls]))
        msgs.extend(Message("tool", [ToolResultPart(c.id, f"out {i} " + "y" * size)]) for c in calls)
    return msgs


def fit(compactor, model, messages, events=None):
    sink = events.append if events is not None else ev.discard
    return asyncio.run(compactor.fit(model, messages, [], sink))


def assert_pairs_intact(request: list[Message]) -> None:
    answered = {p.tool_call_id for m in request for p in m.parts if isinstance(p, ToolResultPart)}
    called = {c.id for m in request for c in m.tool_calls}
    assert answered == called


def test_small_requests_pass_through_without_a_summary_call():
    model, msgs = FakeModel(), transcript(3, 100)
    request, usage = fit(Compactor(AgentSettings("m", context_window=WINDOW)), model, msgs)
    assert request is msgs and usage.total_tokens == 0 and model.requests == []


def test_older_turns_are_replaced_by_the_models_summary():
    model, msgs, events = FakeModel(said("SUMMARY-XYZ", 100, 40)), transcript(30, 2000), []
    before = list(msgs)
    request, usage = fit(Compactor(AgentSettings("m", context_window=WINDOW)), model, msgs, events)

    call = model.requests[0]
    assert call.tools == [] and call.stream is False
    assert "summarise this conversation so far for continuation" in call.messages[-1].text_content.lower()
    assert total_tokens(call.messages) <= target_tokens(WINDOW)  # the summary request fits the window itself
    assert request[:2] == msgs[:2]
    note = request[2].text_content
    done = next(e for e in events if isinstance(e, ev.CompactionCompleted))
    assert note == SUMMARY_HEADER.format(n=done.messages_summarised) + "SUMMARY-XYZ"
    assert request[3].role == "assistant" and request[-1] is msgs[-1]
    assert_pairs_intact(request)
    assert total_tokens(request) <= request_budget(WINDOW, [])
    assert done.tokens_before == total_tokens(msgs) and done.tokens_after == total_tokens(request)
    assert (usage.prompt_tokens, usage.completion_tokens) == (100, 40)
    assert msgs == before  # the transcript itself is untouched


def test_the_summary_is_cached_until_the_window_fills_again():
    model = FakeModel(said("FIRST"), said("SECOND"))
    compactor, msgs = Compactor(AgentSettings("m", context_window=WINDOW)), transcript(30, 2000)
    fit(compactor, model, msgs)
    msgs.append(Message.text("user", "a small follow-up"))
    request, usage = fit(compactor, model, msgs)
    assert len(model.requests) == 1 and usage.total_tokens == 0
    assert "FIRST" in request[2].text_content and request[-1] is msgs[-1]

    msgs.extend(transcript(10, 2000)[2:])  # the window overflows again: previous summary + newer messages
    request, _ = fit(compactor, model, msgs)
    assert len(model.requests) == 2
    assert "FIRST" in model.requests[1].messages[-1].text_content
    assert request[2].text_content.endswith("SECOND") and "FIRST" not in request[2].text_content
    assert_pairs_intact(request)


def test_a_rewritten_transcript_invalidates_the_cached_summary():
    model = FakeModel(said("FIRST"), said("SECOND"))
    compactor, msgs = Compactor(AgentSettings("m", context_window=WINDOW)), transcript(30, 2000)
    fit(compactor, model, msgs)
    rewritten = [Message.from_dict(m.to_dict()) for m in msgs]  # e.g. reloaded from the store after an undo
    fit(compactor, model, rewritten)
    assert len(model.requests) == 2


def test_a_failed_summary_falls_back_to_truncation_and_is_not_retried_at_once():
    model = FakeModel(ProviderRequestError("provider 'x' refused the request (400)"))
    compactor, msgs, events = Compactor(AgentSettings("m", context_window=WINDOW)), transcript(30, 2000), []
    request, usage = fit(compactor, model, msgs, events)
    assert [type(e) for e in events] == [ev.CompactionFailed, ev.ContextTruncated]
    assert "400" in events[0].reason
    assert request[2].text_content.startswith("[Context truncated:") and usage.total_tokens == 0
    msgs.extend(transcript(1, 100)[2:])
    fit(compactor, model, msgs)  # still cooling down: truncation, no second call
    assert len(model.requests) == 1


def test_an_empty_summary_counts_as_a_failure():
    events = []
    fit(Compactor(AgentSettings("m", context_window=WINDOW)), FakeModel(said("  ")), transcript(30, 2000), events)
    assert isinstance(events[0], ev.CompactionFailed)


def test_compaction_off_uses_truncation():
    model, events = FakeModel(), []
    fit(Compactor(AgentSettings("m", context_window=WINDOW, compaction=False)), model, transcript(30, 2000), events)
    assert model.requests == [] and isinstance(events[0], ev.ContextTruncated)


def test_oversized_outputs_are_cut_in_the_middle_for_the_summary_request():
    msgs = transcript(6, 200)
    msgs.insert(4, Message("tool", [ToolResultPart("c0_0", "HEAD" + "z" * 200_000 + "TAIL")]))
    del msgs[3]  # the big output replaces step 0's result
    model = FakeModel(said("S"))
    fit(Compactor(AgentSettings("m", context_window=WINDOW)), model, msgs)
    text = model.requests[0].messages[-1].text_content
    assert "HEAD" in text and "TAIL" in text and "chars omitted" in text
    assert total_tokens(model.requests[0].messages) <= target_tokens(WINDOW)


def test_the_tail_never_opens_with_a_tool_result():
    msgs = transcript(20, 1500, calls_per_step=3)
    for budget in range(200, 6000, 97):
        start = tail_start(msgs, 2, budget)
        assert msgs[start].role != "tool"
    model = FakeModel(said("S"))
    request, _ = fit(Compactor(AgentSettings("m", context_window=WINDOW)), model, msgs)
    assert_pairs_intact(request)


def test_agent_loop_compacts_requests_and_counts_the_summary_usage(tmp_path):
    (tmp_path / "big.txt").write_text("".join(f"line {i} " + "x" * 70 + "\n" for i in range(400)))
    read = [said("", calls=[ToolCallPart(f"r{i}", "read", json.dumps({"path": "big.txt", "offset": 1 + 40 * i,
                                                                      "limit": 40}))]) for i in range(8)]
    model = _RoutingModel(*read, said("done"))
    agent = Agent(model, ToolSet.named(("read",)), ToolContext(root=tmp_path, cwd=tmp_path),
                  AgentSettings("m", context_window=8_000, stream=False),
                  messages=[Message.text("system", "sys")])
    events: list = []
    agent.sink = events.append
    result = asyncio.run(agent.run("read big.txt"))
    assert result.ok and result.text == "done"
    assert model.summaries >= 1
    budget = request_budget(8_000, ToolSet.named(("read",)).definitions())
    assert all(total_tokens(r.messages) <= budget for r in model.requests if r.tools)
    assert any(isinstance(e, ev.CompactionCompleted) for e in events)
    assert result.usage.completion_tokens == 9 * 5 + model.summaries * 7
    assert len(agent.messages) == 2 + 8 * 2 + 1  # the full transcript is kept


class _RoutingModel(FakeModel):
    """Answers summary requests (no tools) itself and agent requests from the script."""

    summaries = 0

    async def complete(self, request, on_delta=None) -> CompletionResponse:
        if not request.tools:
            self.requests.append(request)
            self.summaries += 1
            return said(f"SUMMARY-{self.summaries}", 50, 7)
        return await super().complete(request, on_delta)


def test_large_outputs_go_to_the_handler_when_set():
    big = "line\n" * 20_000

    async def handler(tool: str, output: str) -> str | None:
        return f"{tool} printed {len(output)} chars of lines"

    async def declines(tool: str, output: str) -> str | None:
        return None

    async def broken(tool: str, output: str) -> str | None:
        raise RuntimeError("rlm down")

    out = asyncio.run(shrink_large_output("bash", big, handler, 6_000))
    assert out.startswith("[RLM summary of bash output (100000 chars → ") and "printed 100000" in out
    for fallback in (None, declines, broken):
        assert "[OUTPUT TRUNCATED" in asyncio.run(shrink_large_output("bash", big, fallback, 6_000))
    small = "x\n" * 10_000  # over the result limit but under the RLM threshold: plain truncation
    assert "[OUTPUT TRUNCATED" in asyncio.run(shrink_large_output("bash", small, handler, 6_000))


def _agent_after_two_turns(tmp_path, model) -> Agent:
    agent = Agent(model, ToolSet.named(("read",)), ToolContext(root=tmp_path, cwd=tmp_path),
                  AgentSettings("m", context_window=WINDOW, stream=False), messages=[Message.text("system", "sys")])
    asyncio.run(agent.run("first question"))
    asyncio.run(agent.run("second question"))
    return agent


def test_compact_now_summarises_all_but_the_latest_exchange_and_the_next_request_uses_it(tmp_path):
    model = FakeModel(said("first answer"), said("second answer"), said("THE-SUMMARY", 40, 9), said("third"))
    agent = _agent_after_two_turns(tmp_path, model)
    result = asyncio.run(compact_now(agent))
    summary_request = model.requests[2]
    assert summary_request.tools == [] and "first answer" in summary_request.messages[-1].text_content
    assert "second answer" not in summary_request.messages[-1].text_content  # the latest exchange stays verbatim
    assert result.messages_summarised == 1 and result.usage.completion_tokens == 9
    assert result.tokens_after < result.tokens_before + 50
    asyncio.run(agent.run("third question"))
    sent = [m.text_content for m in model.requests[3].messages]
    assert sent[:2] == ["sys", "first question"]
    assert sent[2].startswith(SUMMARY_HEADER.format(n=1)) and "THE-SUMMARY" in sent[2]
    assert "first answer" not in sent and sent[3:] == ["second question", "second answer", "third question"]
    assert len(agent.messages) == 7  # the transcript itself is kept whole


def test_compact_now_with_nothing_to_summarise_makes_no_call_and_a_failure_raises(tmp_path):
    import pytest

    from codetether.errors import CodetetherError

    model = FakeModel(said("only answer"))
    agent = Agent(model, ToolSet.named(("read",)), ToolContext(root=tmp_path, cwd=tmp_path),
                  AgentSettings("m", context_window=WINDOW, stream=False), messages=[Message.text("system", "sys")])
    asyncio.run(agent.run("one question"))
    assert asyncio.run(compact_now(agent)).messages_summarised == 0 and len(model.requests) == 1
    failing = FakeModel(said("a"), said("b"), ProviderRequestError("provider down"))
    agent = _agent_after_two_turns(tmp_path, failing)
    with pytest.raises(CodetetherError):
        asyncio.run(compact_now(agent))
    assert agent.compactor.summary is None
