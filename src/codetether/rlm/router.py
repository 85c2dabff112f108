"""RLM inside agents: the rlm tool's model, and oversized outputs of summarisable tools analysed, not truncated."""

from __future__ import annotations

from codetether.agent.compaction import LargeOutputHandler
from codetether.rlm.model import RlmModel

# Spec §10.4: bulk output that a summary can stand in for. Exact content (read, grep, bash, glob, list, edit...)
# is never summarised: the agent needs those bytes verbatim, so they are truncated with a hint instead.
SUMMARISABLE = frozenset({"webfetch", "websearch", "batch", "session_context"})
ROUTE_ITERATIONS = 8
ROUTE_QUESTION = ("This is the output of the coding agent's {tool} tool, too large to show it whole. Summarize what "
                  "it says that the agent needs, keeping names, numbers, URLs, code and error messages exact.")


def large_output_handler(model: RlmModel) -> LargeOutputHandler:
    """Async (tool, output) -> summary, or None (the loop then truncates) for tools that need exact output."""

    async def handle(tool: str, output: str) -> str | None:
        if tool not in SUMMARISABLE:
            return None
        from codetether.rlm.context import RlmContext  # the RLM machinery loads only when an output needs it
        from codetether.rlm.loop import analyze

        result = await analyze(ROUTE_QUESTION.format(tool=tool), RlmContext.build(output), model,
                               max_iterations=ROUTE_ITERATIONS)
        return result.answer if result.ok else None

    return handle
