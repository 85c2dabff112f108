"""Tool calls written in a model's own chat-template format instead of JSON, and blocks cut off mid-call.

Qwen3-Coder: <function=NAME><parameter=KEY>VALUE</parameter>...</function>; GLM-4.5: NAME<arg_key>KEY</arg_key>
<arg_value>VALUE</arg_value>... Values arrive as text; the agent converts them to the schema's types losslessly.
"""

from __future__ import annotations

import json
import re
from typing import Any

_QWEN = re.compile(r"^\s*<function=([^>\s]+)\s*>(.*?)</function>\s*$", re.DOTALL)
_QWEN_PARAM = re.compile(r"<parameter=([^>\s]+)\s*>(.*?)</parameter>", re.DOTALL)
_GLM = re.compile(r"^\s*([\w.-]+)\s*((?:<arg_key>.*?</arg_key>\s*<arg_value>.*?</arg_value>\s*)+)$", re.DOTALL)
_GLM_PARAM = re.compile(r"<arg_key>(.*?)</arg_key>\s*<arg_value>(.*?)</arg_value>", re.DOTALL)
_NAME = re.compile(r"""["']name["']\s*:\s*["']([^"'\\]+)["']""")
_ARGUMENTS = re.compile(r"""["'](?:arguments|parameters|args)["']\s*:\s*""")
_OPEN_QWEN = re.compile(r"<function=([^>\s]+)\s*>", re.DOTALL)
_OPEN_GLM = re.compile(r"^\s*([\w.-]+)\s*<arg_key>")


def xml_call(block: str) -> tuple[str, dict[str, Any], str] | None:
    """(name, arguments as text values, which format) from a Qwen3-Coder or GLM block, else None."""
    match = _QWEN.match(block)
    if match and not _QWEN_PARAM.sub("", match.group(2)).strip():
        return match.group(1), {k: _value(v) for k, v in _QWEN_PARAM.findall(match.group(2))}, "Qwen3-Coder XML"
    match = _GLM.match(block)
    if match:
        return match.group(1), {k.strip(): v for k, v in _GLM_PARAM.findall(match.group(2))}, "GLM XML"
    return None


def _value(text: str) -> str:
    """Qwen3-Coder puts each value on its own lines: the one newline after the tag and before the close go."""
    text = text[1:] if text.startswith("\n") else text
    return text[:-1] if text.endswith("\n") else text


def partial_call(block: str) -> tuple[str, str] | None:
    """(name, the arguments as far as they came) from a block the reply ended inside, else None (not a call)."""
    body = re.sub(r"^\s*```[\w-]*\s*\n?", "", block)
    if body.lstrip().startswith("{"):
        name = _NAME.search(body)
        arguments = _ARGUMENTS.search(body)
        return (name.group(1) if name else "", body[arguments.end():] if arguments else "{")
    match = _OPEN_QWEN.match(body.lstrip())
    if match:
        return match.group(1), _open_object({k: _value(v) for k, v in _QWEN_PARAM.findall(body)})
    match = _OPEN_GLM.match(body)
    if match:
        return match.group(1), _open_object({k.strip(): v for k, v in _GLM_PARAM.findall(body)})
    return None


def _open_object(complete: dict[str, Any]) -> str:
    """The parameters that arrived whole, as a JSON object left open where the reply stopped."""
    text = json.dumps(complete, ensure_ascii=False)[:-1]
    return text + (", " if complete else "")
