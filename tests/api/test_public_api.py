"""The public API, pinned: its names, signatures and event fields. A change here is a change for every user:
make it on purpose, keep the old name working for one minor release (codetether._DEPRECATED), note it in the README."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import codetether

NAMES = {
    "__version__", "create_agent", "CodingAgent", "Result", "function_tool", "ApproveCallback", "send_message",
    "serve_a2a", "A2AReply", "A2AServer", "Tool", "ToolContext", "ToolResult", "ToolError", "ApprovalRequest",
    "Usage", "CodetetherError", "Event", "ExitReason", "RunStarted", "StepStarted", "TextChunk", "TextComplete",
    "ThinkingChunk", "ToolCallStarted", "ToolCallCompleted", "ToolCallRepaired", "LoopDetected", "UsageUpdated",
    "ContextTruncated", "CompactionCompleted", "CompactionFailed", "ContextLimitLearned", "AgentError", "Notice",
    "RunCompleted",
}

SIGNATURES = {
    "create_agent": "(workspace: 'str | os.PathLike[str]', *, model: 'str | None' = None, agent: 'str | None' = "
                    "None, access_mode: 'AccessMode | None' = None, tools: 'Sequence[str] | None' = None, "
                    "extra_tools: 'Sequence[Tool | Callable[..., Any]]' = (), approve: 'ApproveCallback | bool | "
                    "None' = None, session: 'str | None' = None, continue_latest: 'bool' = False, max_steps: "
                    "'int | None' = None, on_event: 'Callable[[Event], None] | None' = None) -> 'CodingAgent'",
    "function_tool": "(fn: 'Callable[..., Any] | None' = None, /, *, name: 'str | None' = None, description: "
                     "'str | None' = None, read_only: 'bool' = False) -> 'Tool | Callable[[Callable[..., Any]], Tool]'",
    "send_message": "(url: 'str', text: 'str', *, token: 'str | None' = None, context_id: 'str | None' = None, "
                    "timeout: 'float | None' = 600) -> 'A2AReply'",
    "serve_a2a": "(workspace: 'str | os.PathLike[str]', *, model: 'str | None' = None, agent: 'str' = 'build', "
                 "host: 'str' = '127.0.0.1', port: 'int' = 0, approve_all: 'bool' = False, max_steps: "
                 "'int | None' = None) -> 'A2AServer'",
    "CodingAgent.run": "(self, prompt: 'str') -> 'Result'",
    "CodingAgent.stream": "(self, prompt: 'str') -> 'AsyncIterator[Event]'",
    "CodingAgent.open": "(self) -> 'CodingAgent'",
    "CodingAgent.aclose": "(self) -> 'None'",
    "A2AServer.start": "(self) -> 'A2AServer'",
    "A2AServer.aclose": "(self) -> 'None'",
    "A2AServer.serve_forever": "(self) -> 'None'",
}
PROPERTIES = {"CodingAgent": {"session_id", "model"}, "A2AServer": {"url"}, "Result": {"ok"}, "A2AReply": {"ok"}}

FIELDS = {
    "Result": ["text", "exit_reason", "steps", "usage", "session_id", "error"],
    "A2AReply": ["text", "state", "task_id", "context_id", "changed_files"],
    "ApprovalRequest": ["tool", "subject", "rule", "arguments", "strict"],
    "ToolResult": ["output", "success", "metadata"],
    "Tool": ["name", "description", "parameters", "run", "read_only"],
    "Usage": ["prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_write_tokens"],
    "RunStarted": ["session_id", "model", "agent"],
    "StepStarted": ["step"],
    "TextChunk": ["text"],
    "TextComplete": ["text"],
    "ThinkingChunk": ["text"],
    "ToolCallStarted": ["call_id", "name", "arguments"],
    "ToolCallCompleted": ["call_id", "name", "success", "duration_ms", "output", "metadata"],
    "ToolCallRepaired": ["call_id", "name", "original_name", "repairs", "original_arguments", "arguments"],
    "LoopDetected": ["name", "arguments", "count", "action"],
    "UsageUpdated": ["step", "usage", "total"],
    "ContextTruncated": ["removed_messages", "tokens_before", "tokens_after"],
    "CompactionCompleted": ["messages_summarised", "tokens_before", "tokens_after"],
    "CompactionFailed": ["reason"],
    "ContextLimitLearned": ["stated_limit", "window", "tokens_before", "tokens_after"],
    "AgentError": ["message", "fatal"],
    "Notice": ["text", "kind"],
    "RunCompleted": ["text", "steps", "usage", "exit_reason"],
}


def test_exported_names_are_pinned():
    assert set(codetether.__all__) == NAMES
    assert set(codetether._EXPORTS) | {"__version__"} == NAMES  # the lazy table and __all__ agree
    for name in NAMES:
        assert getattr(codetether, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Agent'"):
        codetether.Agent  # noqa: B018 - the internal loop stays private


@pytest.mark.parametrize("path", sorted(SIGNATURES))
def test_signatures_are_pinned(path: str):
    owner, _, attr = path.rpartition(".")
    obj = getattr(getattr(codetether, owner), attr) if owner else getattr(codetether, attr)
    assert str(inspect.signature(obj)) == SIGNATURES[path]


def test_public_methods_and_properties_are_pinned():
    for cls_name in ("CodingAgent", "A2AServer"):
        cls = getattr(codetether, cls_name)
        methods = {f"{cls_name}.{n}" for n, v in vars(cls).items() if not n.startswith("_") and callable(v)}
        assert methods == {p for p in SIGNATURES if p.startswith(f"{cls_name}.")}
    for cls_name, props in PROPERTIES.items():
        cls = getattr(codetether, cls_name)
        assert {n for n, v in vars(cls).items() if isinstance(v, property)} == props


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_data_fields_are_pinned(name: str):
    assert [f.name for f in dataclasses.fields(getattr(codetether, name))] == FIELDS[name]


def test_every_event_is_exported():
    events = {t.__name__ for t in codetether.Event.__args__}
    assert events <= NAMES and events <= set(FIELDS)  # a new event is exported, and its fields pinned
    assert all(getattr(codetether, name) in codetether.Event.__args__ for name in events)
    assert [r.value for r in codetether.ExitReason] == ["completed", "max_steps", "cancelled", "error",
                                                        "timed_out", "budget"]


def test_public_callables_are_fully_annotated():
    for path in SIGNATURES:
        owner, _, attr = path.rpartition(".")
        obj = getattr(getattr(codetether, owner), attr) if owner else getattr(codetether, attr)
        sig = inspect.signature(obj)
        missing = [p.name for p in sig.parameters.values() if p.name != "self" and p.annotation is p.empty]
        assert not missing and sig.return_annotation is not sig.empty, path


def test_package_is_typed():
    src = Path(codetether.__file__).parent
    assert (src / "py.typed").exists()
    pyproject = (src.parents[1] / "pyproject.toml").read_text()
    assert '"py.typed"' in pyproject.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]


def test_import_codetether_loads_nothing_else():
    code = "import sys, codetether; print(sorted(m for m in sys.modules if m.startswith('codetether')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['codetether']"


def test_a_deprecated_name_warns_and_still_works(monkeypatch):
    monkeypatch.setitem(codetether._DEPRECATED, "make_agent", ("create_agent", "0.3"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert codetether.make_agent is codetether.create_agent
    assert [w.category for w in caught] == [DeprecationWarning]
    assert "codetether.make_agent is deprecated and goes in 0.3; use codetether.create_agent" in str(caught[0].message)
