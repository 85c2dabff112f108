"""How a tool call looks in an editor: its ACP kind, a one-line title and the files it touches."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

KINDS = {"read": "read", "write": "edit", "edit": "edit", "multiedit": "edit", "apply_patch": "edit",
         "list": "search", "glob": "search", "grep": "search", "codesearch": "search", "lsp": "search",
         "bash": "execute", "task": "execute", "webfetch": "fetch", "websearch": "fetch",
         "todo_write": "think", "todo_read": "think", "plan_enter": "switch_mode", "plan_exit": "switch_mode"}
TITLE_CHARS = 120


def parse_arguments(raw: str) -> dict[str, Any]:
    """The call's arguments as an object; malformed JSON (the loop refuses it) shows as {}."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def kind(name: str) -> str:
    return KINDS.get(name, "other")


def title(name: str, args: dict[str, Any]) -> str:
    text = _title(name, args)
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1] + "…"


def _title(name: str, args: dict[str, Any]) -> str:
    path = str(args.get("path") or args.get("file_path") or "")
    if name == "bash":
        return " ".join(str(args.get("command", "")).split()) or "bash"
    if name == "task" and args.get("action") == "start":
        return "Background: " + " ".join(str(args.get("command", "")).split())
    simple = {"read": f"Read {path}", "write": f"Write {path}", "edit": f"Edit {path}", "list": f"List {path or '.'}",
              "glob": f"Find {args.get('pattern', '')}", "codesearch": f"Code search: {args.get('query', '')}",
              "webfetch": f"Fetch {args.get('url', '')}", "websearch": f"Web search: {args.get('query', '')}",
              "lsp": f"LSP {args.get('action', '')} {path}".rstrip(), "apply_patch": "Apply patch",
              "todo_write": "Update the plan", "todo_read": "Read the plan",
              "plan_enter": "Switch to plan mode", "plan_exit": "Leave plan mode"}
    if name in simple:
        return simple[name]
    if name == "grep":
        return f"Search '{args.get('pattern', '')}'" + (f" in {path}" if path else "")
    if name == "multiedit":
        files = list(dict.fromkeys(str(e.get("path", "")) for e in _edits(args)))
        return f"Edit {', '.join(files)}" if files else "Edit files"
    return name


def locations(name: str, args: dict[str, Any], cwd: Path) -> list[dict[str, Any]]:
    """The files a call names, as absolute paths (with a line where the call has one)."""
    if name == "multiedit":
        paths = [str(e.get("path", "")) for e in _edits(args)]
    elif name == "apply_patch":
        paths = _patch_paths(str(args.get("patch", "")))
    else:
        given = args.get("path") or args.get("file_path")
        paths = [str(given)] if given and name in KINDS and name not in ("bash", "task", "webfetch", "websearch") \
            else []
    line = args.get("offset") if name == "read" else args.get("line") if name == "lsp" else None
    out = []
    for given in dict.fromkeys(p for p in paths if p):
        location: dict[str, Any] = {"path": os.path.normpath(cwd / os.path.expanduser(given))}
        if isinstance(line, int) and not isinstance(line, bool) and line > 0:
            location["line"] = line
        out.append(location)
    return out


def _edits(args: dict[str, Any]) -> list[dict[str, Any]]:
    edits = args.get("edits")
    return [e for e in edits if isinstance(e, dict)] if isinstance(edits, list) else []


def _patch_paths(patch: str) -> list[str]:
    """The file names in a unified diff's ---/+++ headers (a/ and b/ prefixes dropped, /dev/null skipped)."""
    names = []
    for line in patch.splitlines():
        if line.startswith(("--- ", "+++ ")):
            name = line[4:].split("\t", 1)[0].strip()
            if name != "/dev/null":
                names.append(name[2:] if name.startswith(("a/", "b/")) else name)
    return names
