"""The root loop: the model sees the question and a description of the context, explores it with commands,
and ends with FINAL; every request, root or sub-query, is kept inside the model's window."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from codetether.agent.context import estimate_tokens, target_tokens, total_tokens
from codetether.provider.model import CompletionRequest, Message, Usage
from codetether.rlm.context import RlmContext
from codetether.rlm.model import RlmModel
from codetether.rlm.repl import Interpreter, SubQuery

if TYPE_CHECKING:
    pass

MAX_ITERATIONS = 15
MAX_SUBCALLS = 50
ROOT_SYSTEM = """\
You answer a question about a context too large to read at once. You cannot see it: you explore it by replying \
with commands, which run against the whole context; their results come back to you.
Commands, one per line or in a ``` block; arguments are string or integer literals, or other commands:
  head(n), tail(n): the first or last n lines
  grep("regex", max_results=50): matching lines with their line numbers, and how many lines matched
  count("regex"): how many matches, on how many lines
  lines(a, b): lines a to b (1-based, inclusive); slice(a, b): characters a to b
  chunks(): the context split along its structure (symbols, time windows, turns or sections); chunk(i): one chunk
  llm_query("question", text): a helper model answers a question about text, e.g. \
llm_query("which errors are these?", chunk(3)); at most {max_subcalls} per run
  FINAL("answer"): your final answer; it ends the run
Regexes use Python syntax and match line by line. Results are cut to fit; narrow them with grep, lines or chunk. \
Take numbers from count and grep rather than guessing. You have at most {max_iterations} replies; when you know \
the answer, reply with FINAL(...) alone."""
ROOT_USER = """\
Question: {question}

Context: {description}
Preview (first lines):
```
{preview}
```
Reply with commands."""
SUB_SYSTEM = ("You answer one question about an excerpt of a larger text. Answer from the excerpt only, briefly "
              "and exactly; quote names, numbers and lines where they matter. Say so if the excerpt does not tell.")
LAST_CALL = "\n\nThis was your last command round: reply now with FINAL(\"...\") and the best answer you have."
ELIDED = "[results of an earlier round, elided to fit the context window; run the command again if you need them]"


@dataclass
class RlmResult:
    answer: str
    iterations: int
    sub_queries: list[SubQuery]
    usage: Usage
    elapsed_ms: int
    exit_reason: str  # final | max_iterations
    content_type: str = ""
    context_tokens: int = 0
    error: str | None = None
    requests: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_reason == "final"

    def to_dict(self) -> dict[str, Any]:
        """The seed's JSON: answer, iterations, sub_queries, stats {input_tokens, output_tokens, elapsed_ms}."""
        return {"answer": self.answer, "iterations": self.iterations,
                "sub_queries": [asdict(s) for s in self.sub_queries],
                "stats": {"input_tokens": self.usage.prompt_tokens, "output_tokens": self.usage.completion_tokens,
                          "elapsed_ms": self.elapsed_ms, "requests": self.requests},
                "content_type": self.content_type, "context_tokens": self.context_tokens,
                "exit_reason": self.exit_reason, "error": self.error}


@dataclass
class _Run:
    model: RlmModel
    usage: Usage = field(default_factory=Usage)
    requests: int = 0

    @property
    def budget(self) -> int:
        return target_tokens(self.model.window)

    async def ask(self, messages: list[Message]) -> tuple[str, int]:
        request = CompletionRequest(self.model.model, messages, [], self.model.temperature, None, stream=False)
        response = await self.model.client.complete(request)
        self.requests += 1
        self.usage.add(response.usage)
        if self.model.on_usage:
            self.model.on_usage(response.usage)
        return response.message.text_content, response.usage.total_tokens

    async def sub_query(self, question: str, text: str) -> tuple[str, int, str]:
        room = int((self.budget - estimate_tokens(SUB_SYSTEM + question) - 64) * 3.5)
        note = ""
        if len(text) > room:
            cut = text.rfind("\n", 0, room)
            cut = cut if cut > room // 2 else room
            note = f"the helper saw the first {cut:,} of {len(text):,} chars; query smaller pieces for the rest"
            text = text[:cut]
        body = f"Question: {question}" + (f"\n\n<excerpt>\n{text}\n</excerpt>" if text else "")
        answer, tokens = await self.ask([Message.text("system", SUB_SYSTEM), Message.text("user", body)])
        return answer.strip(), tokens, note


async def analyze(question: str, ctx: RlmContext, model: RlmModel, *, max_iterations: int = MAX_ITERATIONS,
                  max_subcalls: int = MAX_SUBCALLS,
                  on_step: Callable[[int, str], None] | None = None) -> RlmResult:
    """Run the root loop until FINAL or max_iterations; provider errors propagate (CodetetherError)."""
    started = time.monotonic()
    run = _Run(model)
    chars = int(run.budget * 3.5)
    interp = Interpreter(ctx, run.sub_query, max_subcalls=max_subcalls,
                         result_chars=max(800, min(8_000, chars // 6)))
    system = ROOT_SYSTEM.format(max_subcalls=max_subcalls, max_iterations=max_iterations)
    preview = ctx.preview(max(400, min(2_000, chars // 8)))
    messages = [Message.text("system", system), Message.text("user", ROOT_USER.format(
        question=question, description=ctx.describe(), preview=preview))]
    answer, exit_reason, iterations = "", "max_iterations", 0
    for iterations in range(1, max_iterations + 1):
        text, _ = await run.ask(fit(messages, run.budget))
        messages.append(Message.text("assistant", text or "(empty reply)"))
        if on_step:
            on_step(iterations, text)
        results, final = await interp.run(text)
        if final is not None:
            answer, exit_reason = final.answer, "final"
            break
        feedback = "Results:\n\n" + "\n\n".join(results)
        messages.append(Message.text("user", feedback + (LAST_CALL if iterations == max_iterations - 1 else "")))
    error = None if exit_reason == "final" else (
        f"no FINAL answer after {iterations} iterations (the limit); raise --max-iterations or ask a narrower question")
    return RlmResult(answer, iterations, interp.sub_queries, run.usage, int((time.monotonic() - started) * 1000),
                     exit_reason, ctx.content_type, ctx.tokens, error, run.requests)


def fit(messages: list[Message], budget: int) -> list[Message]:
    """Elide the oldest results first, then cut the rest; the system prompt and question always stay."""
    if total_tokens(messages) <= budget:
        return messages
    fitted = list(messages)
    for i in range(2, len(fitted) - 1):
        if fitted[i].role == "user":
            fitted[i] = Message.text("user", ELIDED)
            if total_tokens(fitted) <= budget:
                return fitted
    # Still too big: cut every message after the question, newest last, to its share of what is left.
    if total_tokens(fitted[:2]) > budget // 2:  # a very long question: it must still leave room for results
        fitted[1] = Message.text("user", _cut(fitted[1].text_content, int(budget // 2 * 3.5) - 64))
    head = total_tokens(fitted[:2])
    rest = fitted[2:]
    share = max(200, int((budget - head) * 3.5 / max(1, len(rest))) - 64)
    return fitted[:2] + [Message.text(m.role, _cut(m.text_content, share)) for m in rest]


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    keep = max(0, max_chars - 60)
    return text[:keep] + f"\n[… cut {len(text) - keep:,} chars to fit the context window]"
