"""A replay bundle (`codetether sessions export ID --replay`) as the scripted LLM server's script, so a user's bug
report becomes a test: `codetether run` against the server gets the recorded model's every reply, verbatim.

Stdlib only, like llm_server.py: it reads the bundle's JSON, never codetether's own loader."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.wire import Reply, ToolCall

BUNDLE_FORMAT = "codetether.replay.v1"


@dataclass
class ScriptedTurn:
    """One recorded user turn: the prompt to send, the model's replies to script, the tool results it got."""

    prompt: str
    replies: list[Reply]
    outputs: dict[str, str]  # call id -> the recorded (redacted) output


@dataclass
class BundleScript:
    commit: str | None  # where the session started: check it out before running the turns
    model: str
    agent: str
    turns: list[ScriptedTurn]

    @property
    def replies(self) -> list[Reply]:
        """Every turn's replies in order: what LLMServer.script takes."""
        return [reply for turn in self.turns for reply in turn.replies]


def load_bundle(path: Path) -> BundleScript:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != BUNDLE_FORMAT:
        raise ValueError(f"{path} is not a replay bundle (format {data.get('format')!r})")
    turns = []
    for turn in data["turns"]:
        prompt = next(_text(m["parts"]) for m in turn["messages"] if m["role"] == "user")
        replies = [_reply(m["parts"]) for m in turn["messages"] if m["role"] == "assistant"]
        turns.append(ScriptedTurn(prompt, replies, {c["call_id"]: c["output"] for c in turn["tool_calls"]}))
    settings = data["settings"]
    return BundleScript(data["start"].get("commit"), settings["model"], settings["agent"], turns)


def _reply(parts: list[dict[str, Any]]) -> Reply:
    """The assistant message as the model sent it: its text, and its tool calls with their raw argument text and
    ids (sent verbatim, so even a malformed call the agent had to repair is reproduced)."""
    calls = [ToolCall(p["name"], p["arguments"], id=p["id"]) for p in parts if p["type"] == "tool_call"]
    return Reply(text=_text(parts), tool_calls=calls)


def _text(parts: list[dict[str, Any]]) -> str:
    return "".join(p["text"] for p in parts if p["type"] == "text")
