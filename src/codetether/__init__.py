"""CodeTether Agent: a terminal AI coding agent with first-class A2A support, and a Python library.

    import codetether
    async with codetether.create_agent(".") as agent:
        result = await agent.run("add a test for parse()")

The public API is what `__all__` names; everything else is private. Names load on first use, so `import
codetether` (and `codetether --version`) stays as fast as a bare Python start."""

import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# httpx imports its optional command-line client (click, rich, pygments) whenever those happen to be
# installed, ~30 ms of start-up we never use; a None entry makes that one import fail fast, as httpx expects.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

_EVENTS = ("Event", "ExitReason", "RunStarted", "StepStarted", "TextChunk", "TextComplete", "ThinkingChunk",
           "ToolCallStarted", "ToolCallCompleted", "ToolCallRepaired", "LoopDetected", "UsageUpdated",
           "ContextTruncated", "CompactionCompleted", "CompactionFailed", "ContextLimitLearned", "AgentError",
           "Notice", "RunCompleted")
# public name -> the private module defining it
_EXPORTS: dict[str, str] = {
    "create_agent": "codetether.api.agent", "CodingAgent": "codetether.api.agent", "Result": "codetether.api.agent",
    "function_tool": "codetether.api.tools",
    "ApproveCallback": "codetether.api.approval",
    "send_message": "codetether.api.a2a", "serve_a2a": "codetether.api.a2a", "A2AReply": "codetether.api.a2a",
    "A2AServer": "codetether.api.a2a",
    "Tool": "codetether.tool.base", "ToolContext": "codetether.tool.base", "ToolResult": "codetether.tool.base",
    "ToolError": "codetether.tool.base", "ApprovalRequest": "codetether.tool.support.permission",
    "Usage": "codetether.provider.model", "CodetetherError": "codetether.errors",
    **dict.fromkeys(_EVENTS, "codetether.agent.events"),
}
# Names kept working for one minor release after they were renamed or removed: old name -> (new name, version).
_DEPRECATED: dict[str, tuple[str, str]] = {}

__all__ = [  # the names _EXPORTS maps (a test keeps the two equal), spelled out for type checkers and linters
    "__version__", "create_agent", "CodingAgent", "Result", "function_tool", "ApproveCallback", "send_message",
    "serve_a2a", "A2AReply", "A2AServer", "Tool", "ToolContext", "ToolResult", "ToolError", "ApprovalRequest",
    "Usage", "CodetetherError", "Event", "ExitReason", "RunStarted", "StepStarted", "TextChunk", "TextComplete",
    "ThinkingChunk", "ToolCallStarted", "ToolCallCompleted", "ToolCallRepaired", "LoopDetected", "UsageUpdated",
    "ContextTruncated", "CompactionCompleted", "CompactionFailed", "ContextLimitLearned", "AgentError", "Notice",
    "RunCompleted",
]


def __getattr__(name: str) -> Any:
    import importlib

    if name in _DEPRECATED:
        import warnings

        new, removed_in = _DEPRECATED[name]
        warnings.warn(f"codetether.{name} is deprecated and goes in {removed_in}; use codetether.{new}",
                      DeprecationWarning, stacklevel=2)
        name = new
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'codetether' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # what type checkers and IDEs see; at run time these load lazily (above)
    from codetether.agent.events import (
        AgentError,
        CompactionCompleted,
        CompactionFailed,
        ContextLimitLearned,
        ContextTruncated,
        Event,
        ExitReason,
        LoopDetected,
        Notice,
        RunCompleted,
        RunStarted,
        StepStarted,
        TextChunk,
        TextComplete,
        ThinkingChunk,
        ToolCallCompleted,
        ToolCallRepaired,
        ToolCallStarted,
        UsageUpdated,
    )
    from codetether.api.a2a import A2AReply, A2AServer, send_message, serve_a2a
    from codetether.api.agent import CodingAgent, Result, create_agent
    from codetether.api.approval import ApproveCallback
    from codetether.api.tools import function_tool
    from codetether.errors import CodetetherError
    from codetether.provider.model import Usage
    from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult
    from codetether.tool.support.permission import ApprovalRequest
