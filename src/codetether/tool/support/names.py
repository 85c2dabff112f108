"""Tool names as models write them (`Read`, `functions.read`, `read_file`, `TodoWrite`) matched to ours."""

from __future__ import annotations

import re
from collections.abc import Iterable

# The seed's names for our tools (its README's tool table, its MCP fallback tools) and the spec's compatibility
# aliases (§5.3 register_compat_aliases) that name a tool we have. Official names: accepted exactly, with repairs
# on or off, wherever a tool name is (model calls, batch, permission rules, skills, MCP), listed by `tools list`.
SEED_ALIASES: dict[str, str] = {
    "read_file": "read", "write_file": "write", "list_dir": "list", "list_directory": "list",
    "run_command": "bash", "grep_search": "grep", "patch": "apply_patch", "todoread": "todo_read",
    "todowrite": "todo_write",
}
# Names other agents give our tools, which models trained on those agents reach for (normalized: lower case,
# letters and digits only). Used only when exactly one available tool answers to the name.
ALIASES: dict[str, str] = {
    **dict.fromkeys(("view", "viewfile", "cat", "openfile", "readtextfile"), "read"),
    **dict.fromkeys(("writetofile", "createfile", "savefile"), "write"),
    **dict.fromkeys(("editfile", "replace", "strreplace", "replaceinfile", "strreplaceeditor", "searchreplace"),
                    "edit"),
    **dict.fromkeys(("multieditfile", "editfiles"), "multiedit"),
    **dict.fromkeys(("applydiff",), "apply_patch"),
    **dict.fromkeys(("shell", "runshellcommand", "executecommand", "executebash", "terminal",
                     "runterminalcmd", "exec", "sh"), "bash"),
    **dict.fromkeys(("ls", "listfiles", "readdir"), "list"),
    **dict.fromkeys(("findfiles", "filesearch", "globfiles"), "glob"),
    **dict.fromkeys(("searchfiles", "searchfilecontent", "ripgrep", "rg", "search"), "grep"),
    **dict.fromkeys(("fetch", "fetchurl", "urlfetch"), "webfetch"),
    **dict.fromkeys(("googlewebsearch", "searchweb", "internetsearch"), "websearch"),
    **dict.fromkeys(("updateplan", "updatetodos"), "todo_write"),
    **dict.fromkeys(("readtodos",), "todo_read"),
    **{re.sub(r"[^a-z0-9]", "", alias): tool for alias, tool in SEED_ALIASES.items()},
}
# Wrappers some chat templates leave around a name: OpenAI Harmony's "functions." and "<|channel|>...",
# Kimi's ":0" call index, Gemini's "default_api.".
_PREFIX = re.compile(r"^(?:functions|default_api|tools|tool|api)[.:]", re.IGNORECASE)
_SUFFIX = re.compile(r"(?:<\|[^|]*\|>.*|:\d+)$", re.DOTALL)


def canonical(name: str) -> str:
    """Our name for a tool given by one of its official aliases (read_file -> read); any other name unchanged."""
    return SEED_ALIASES.get(name, name)


def aliases_of(tool: str) -> list[str]:
    return [alias for alias, target in SEED_ALIASES.items() if target == tool]


def normalize(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def resolve_name(name: str, available: Iterable[str]) -> tuple[str | None, str | None]:
    """(our tool's name or None, a note saying how it was matched when not exactly)."""
    names = list(available)
    if name in names:
        return name, None
    if canonical(name) in names:  # an official alias: no note, it is a name the tool has
        return canonical(name), None
    bare = _SUFFIX.sub("", _PREFIX.sub("", name.strip().strip("`'\""))).strip()
    if bare in names:
        return bare, f"tool name '{name}' read as '{bare}'"
    for match in (lambda n: n.lower() == bare.lower(), lambda n: normalize(n) == normalize(bare)):
        found = [n for n in names if match(n)]
        if len(found) == 1:
            return found[0], f"tool name '{name}' matched to '{found[0]}'"
        if found:
            return None, None
    target = ALIASES.get(normalize(bare))
    if target in names:
        return target, f"tool name '{name}' is another agent's name for '{target}'"
    return None, None
