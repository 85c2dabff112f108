"""Render one stored session as readable text for `codetether sessions show`."""

from __future__ import annotations

import time
from typing import Any

from codetether.session.store import SessionInfo

EXCERPT_CHARS = 400
EXCERPT_LINES = 8


def render_session(info: SessionInfo, turns: list[dict[str, Any]], totals: dict[str, Any],
                   messages: list[dict[str, Any]]) -> str:
    lines = [f"session {info.id}" + (f"  {info.title}" if info.title else ""),
             f"  project  {info.project_root}",
             f"  model    {info.model}  (agent {info.agent or 'chat'})",
             f"  created  {_when(info.created_at)}   updated {_when(info.updated_at)}",
             f"  totals   {totals['turns']} turns, {info.message_count} messages, "
             f"{totals['prompt_tokens']:,} prompt + {totals['completion_tokens']:,} completion tokens, "
             + _usd(totals['cost_usd']), ""]
    if turns:
        lines.append(f"  {'TURN':>4}  {'STARTED':<16}  {'MODEL':<24}  {'PROMPT':>8}  {'COMPL':>7}  {'COST':>8}  END")
        for t in turns:
            end = t["exit_reason"] or ("unfinished" if t["ended_at"] is None else "?")
            end += " (undone)" if t.get("undone") else ""
            lines.append(f"  {t['turn']:>4}  {_when(t['started_at']):<16}  {t['model'][:24]:<24}  "
                         f"{t['prompt_tokens']:>8,}  {t['completion_tokens']:>7,}  {_usd(t['cost_usd']):>8}  {end}")
        lines.append("")
    lines += render_messages(messages)
    return "\n".join(lines).rstrip() + "\n"


def render_messages(messages: list[dict[str, Any]]) -> list[str]:
    """Each message as `role: text`, tool calls as `-> name args` and results as `<- name: output`."""
    lines: list[str] = []
    names: dict[str, str] = {}  # tool_call_id -> tool name, to label results
    turn = None
    for message in messages:
        if message["turn"] != turn:
            turn = message["turn"]
            lines.append(f"--- turn {turn} ---")
        role = message["role"]
        for part in message["parts"]:
            kind = part.get("type")
            if kind == "text" and part["text"].strip():
                lines.append(f"{role}: " + _excerpt(part["text"]))
            elif kind == "thinking" and part["text"].strip():
                lines.append(f"{role} (thinking): " + _excerpt(part["text"], 200))
            elif kind == "image":
                lines.append(f"{role}: [image {part.get('mime_type') or ''}]".rstrip())
            elif kind == "tool_call":
                names[part["id"]] = part["name"]
                lines.append(f"  -> {part['name']} " + _excerpt(part["arguments"], 300))
            elif kind == "tool_result":
                name = names.get(part["tool_call_id"], "tool")
                status = " (error)" if part.get("is_error") else ""
                lines.append(f"  <- {name}{status}: " + _excerpt(part["content"]))
    return lines


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters and EXCERPT_LINES lines, continuation lines indented under the first."""
    text = text.strip()
    cut = text[:limit]
    kept = cut.split("\n")[:EXCERPT_LINES]
    shown = "\n      ".join(kept)
    if len("\n".join(kept)) < len(text):
        shown += f" ... [{len(text):,} chars]"
    return shown


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _usd(value: float) -> str:
    return f"${value:.4f}"
