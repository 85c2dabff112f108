"""What a tool call did, in one line: the command it ran, the file it touched, the error it hit, its diff size.

Pure functions over a call's arguments and result, so any transcript view can show them."""

from __future__ import annotations

import json
import re

# The argument that says what a call is about, per tool; others fall back to the usual names.
SUBJECT = {"bash": ("command",), "task": ("command", "action"), "read": ("path", "file_path"),
           "write": ("path", "file_path"), "edit": ("path", "file_path"), "multiedit": ("path", "file_path"),
           "list": ("path",), "glob": ("pattern",), "grep": ("pattern",), "codesearch": ("query",),
           "webfetch": ("url",), "websearch": ("query",), "question": ("question",), "skill": ("name",),
           "swarm": ("task",), "rlm": ("query",), "lsp": ("operation", "path")}
FALLBACK = ("command", "path", "file_path", "pattern", "query", "url", "task", "name")
_PATCH_FILE = re.compile(r"^\*\*\* (?:Update|Add|Delete) File: (.+)$|^\+\+\+ (?:b/)?(.+)$", re.MULTILINE)


def subject(name: str, arguments: str, width: int = 90) -> str:
    """The command, path, pattern or query of a call, on one line ("" when there is none)."""
    try:
        args = json.loads(arguments) if arguments else {}
    except ValueError:
        return ""
    if not isinstance(args, dict):
        return ""
    if name == "apply_patch" and isinstance(args.get("patch") or args.get("input"), str):
        files = [a or b for a, b in _PATCH_FILE.findall(args.get("patch") or args.get("input"))]
        return _fit(", ".join(dict.fromkeys(f.strip() for f in files if f.strip() != "/dev/null")), width)
    for key in SUBJECT.get(name, ()) + FALLBACK:
        value = args.get(key)
        if isinstance(value, str) and value.strip():
            return _fit(" ".join(value.split()), width)
    return ""


def error_excerpt(output: str, lines: int = 3, width: int = 160) -> str:
    """The first lines of a failed call's output: what went wrong, shown without expanding the call."""
    picked = [_fit(line.rstrip(), width) for line in output.splitlines() if line.strip()][:lines]
    return "\n".join(picked)


def diff_stat(diff: str) -> str:
    """`+3 -1` for a unified diff ("" for none)."""
    added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return f"+{added} -{removed}" if added or removed else ""


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
