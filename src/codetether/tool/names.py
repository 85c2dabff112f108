"""Tool names as models write them (`Read`, `functions.read`, `read_file`, `TodoWrite`) matched to ours."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Names other agents give our tools, which models trained on those agents reach for (normalized: lower case,
# letters and digits only). Used only when exactly one available tool answers to the name.
ALIASES: dict[str, str] = {
    **dict.fromkeys(("readfile", "view", "viewfile", "cat", "openfile", "readtextfile"), "read"),
    **dict.fromkeys(("writefile", "writetofile", "createfile", "savefile"), "write"),
    **dict.fromkeys(("editfile", "replace", "strreplace", "replaceinfile", "strreplaceeditor", "searchreplace"),
                    "edit"),
    **dict.fromkeys(("multieditfile", "editfiles"), "multiedit"),
    **dict.fromkeys(("patch", "applydiff"), "apply_patch"),
    **dict.fromkeys(("shell", "runshellcommand", "executecommand", "executebash", "runcommand", "terminal",
                     "runterminalcmd", "exec", "sh"), "bash"),
    **dict.fromkeys(("ls", "listdirectory", "listdir", "listfiles", "readdir"), "list"),
    **dict.fromkeys(("findfiles", "filesearch", "globfiles"), "glob"),
    **dict.fromkeys(("searchfiles", "searchfilecontent", "grepsearch", "ripgrep", "rg", "search"), "grep"),
    **dict.fromkeys(("fetch", "fetchurl", "urlfetch"), "webfetch"),
    **dict.fromkeys(("googlewebsearch", "searchweb", "internetsearch"), "websearch"),
    **dict.fromkeys(("todowrite", "updateplan", "updatetodos"), "todo_write"),
    **dict.fromkeys(("todoread", "readtodos"), "todo_read"),
}
# Wrappers some chat templates leave around a name: OpenAI Harmony's "functions." and "<|channel|>...",
# Kimi's ":0" call index, Gemini's "default_api.".
_PREFIX = re.compile(r"^(?:functions|default_api|tools|tool|api)[.:]", re.IGNORECASE)
_SUFFIX = re.compile(r"(?:<\|[^|]*\|>.*|:\d+)$", re.DOTALL)


def normalize(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def resolve_name(name: str, available: Iterable[str]) -> tuple[str | None, str | None]:
    """(our tool's name or None, a note saying how it was matched when not exactly)."""
    names = list(available)
    if name in names:
        return name, None
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
