"""What a recorded model request makes available: offered schemas plus the rare tools tool_load lists by name."""

from __future__ import annotations

import re
from typing import Any


def available_tools(body: dict[str, Any]) -> set[str]:
    names = set()
    for tool in body.get("tools") or []:
        fn = tool.get("function", tool)  # OpenAI wraps in "function"; Anthropic has name/description at the top
        names.add(fn["name"])
        if fn["name"] == "tool_load":
            names |= set(re.findall(r"^- ([a-z0-9_]+): ", fn.get("description", ""), re.MULTILINE))
    return names
