"""JSON as models really write it: a strict grammar plus only the deviations whose meaning is certain.

Accepted beyond JSON (each noted in `Parsed.repairs`): single-quoted strings and Python's None/True/False, trailing
commas, raw control characters inside strings, \\n written between values, Python escapes (\\xHH, \\UHHHHHHHH),
regex-style backslashes (\\d, \\s, \\.) kept as written, one complete object wrapped in a code fence or in prose,
extra closing braces after it, and a double-encoded JSON string. Input that ends inside a value raises
JsonDamage("truncated"); anything with two readings (duplicate keys with different values, a second object,
\\' inside a double-quoted string) raises JsonDamage("ambiguous"). A value is never invented or dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

DamageKind = Literal["truncated", "malformed", "ambiguous"]

_WS = " \t\n\r"
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS = {"true": True, "false": False, "null": None}
_PYTHON_LITERALS = {"True": True, "False": False, "None": None}
# Regex and shell escapes that are not JSON escapes: the backslash is kept as written (\d \s \. \( \$ ...).
# Any other unknown escape (\1, \a, \0, \e ...) means different things in different languages: refused.
_LITERAL_ESCAPES = set("dDsSwW.()[]{}$-*+?|^&!#%,;:<>=@`~ _")
_FENCE = re.compile(r"^\s*```[\w+.-]*[ \t]*\n(.*?)\n?[ \t]*```\s*$", re.DOTALL)
_STRUCTURE = set('{}[]"')


class JsonDamage(ValueError):
    """Arguments that cannot be read with certainty; `kind` says why (truncated | malformed | ambiguous)."""

    def __init__(self, kind: DamageKind, message: str, position: int = -1):
        super().__init__(message)
        self.kind, self.message, self.position = kind, message, position


@dataclass
class Parsed:
    value: Any
    repairs: list[str] = field(default_factory=list)


def parse_object(text: str, depth: int = 0) -> Parsed:
    """A model's tool-call arguments as a dict; raise JsonDamage when they cannot be read with certainty."""
    if not text.strip():
        return Parsed({}, [])
    parsed = parse_value(text, wrapped=True)
    if isinstance(parsed.value, str) and depth < 2:
        try:
            inner = parse_object(parsed.value, depth + 1)
        except JsonDamage as exc:
            if exc.kind == "truncated":
                raise
            raise JsonDamage("malformed", "the arguments must be a JSON object, not a string") from None
        return Parsed(inner.value, [*parsed.repairs, "double-encoded JSON string decoded", *inner.repairs])
    if parsed.value is None:
        return Parsed({}, [*parsed.repairs, "null arguments read as {}"])
    if not isinstance(parsed.value, dict):
        raise JsonDamage("malformed", f"the arguments must be a JSON object, not {_kind(parsed.value)}")
    return parsed


def parse_value(text: str, *, wrapped: bool = False) -> Parsed:
    """Any JSON value; `wrapped` also accepts prose or a code fence around one complete object."""
    try:
        return Parsed(json.loads(text, object_pairs_hook=unique_pairs), [])
    except JsonDamage:
        raise
    except ValueError:
        value, repairs = _lenient(text, wrapped)
        return Parsed(value, repairs)


def _lenient(text: str, wrapped: bool) -> tuple[Any, list[str]]:
    repairs: list[str] = []
    body = text
    if wrapped:
        fenced = _FENCE.match(text)
        if fenced:
            body = fenced.group(1)
            repairs.append("code fence around the arguments removed")
    start = _first_value(body, wrapped)
    if wrapped and body[:start].strip():
        if _STRUCTURE & set(body[:start]):
            raise JsonDamage("ambiguous", "text before the JSON object looks like part of it", 0)
        repairs.append("text before the JSON object dropped")
    parser = _Parser(body, start)
    value = parser.value()
    repairs[:0] = parser.repairs
    rest = body[parser.pos:]
    if rest.strip():
        stripped = rest.strip()
        if wrapped and set(stripped) == {"}"}:
            repairs.append("extra closing brace after the object dropped")
        elif wrapped and not _STRUCTURE & set(stripped):
            repairs.append("text after the JSON object dropped")
        else:
            raise JsonDamage("ambiguous", "more follows the first complete JSON value: a second object, or a "
                             "closing brace too early", parser.pos)
    return value, repairs


def _first_value(body: str, wrapped: bool) -> int:
    stripped = len(body) - len(body.lstrip())
    if not wrapped or body[stripped:stripped + 1] in ('"', "'", "["):
        return stripped
    brace = body.find("{")
    if brace == -1:
        return stripped  # no object at all: the parser reports what is there
    return brace


class _Parser:
    def __init__(self, text: str, pos: int = 0):
        self.text, self.pos = text, pos
        self.repairs: list[str] = []

    def note(self, repair: str) -> None:
        if repair not in self.repairs:
            self.repairs.append(repair)

    def fail(self, message: str) -> JsonDamage:
        if self.pos >= len(self.text):
            return JsonDamage("truncated", "the JSON ends before the value is complete", self.pos)
        return JsonDamage("malformed", f"{message} at char {self.pos}", self.pos)

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in _WS:
                self.pos += 1
            elif ch == "\\" and text[self.pos + 1:self.pos + 2] in ("n", "r", "t"):
                self.note("\\n written between values read as whitespace")
                self.pos += 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("")
        return self.text[self.pos]

    def value(self) -> Any:
        ch = self.peek()
        if ch == "{":
            return self.obj()
        if ch == "[":
            return self.arr()
        if ch in "\"'":
            return self.string()
        if ch == "-" or ch.isdigit():
            return self.number()
        return self.word()

    def obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.opens("}"):
            return out
        while True:
            if self.peek() not in "\"'":
                raise self.fail("expected a quoted property name")
            key_at = self.pos
            key = self.string()
            if self.peek() != ":":
                raise self.fail("expected ':' after a property name")
            self.pos += 1
            value = self.value()
            if key in out and out[key] != value:
                raise JsonDamage("ambiguous", f"property '{key}' is given twice with different values", key_at)
            out[key] = value
            if self.closes("}"):
                return out

    def arr(self) -> list[Any]:
        out: list[Any] = []
        if self.opens("]"):
            return out
        while True:
            out.append(self.value())
            if self.closes("]"):
                return out

    def opens(self, close: str) -> bool:
        """Step past the opening bracket; True when the container is empty."""
        self.pos += 1
        empty = self.peek() == close
        self.pos += empty
        return empty

    def closes(self, close: str) -> bool:
        """After an item: True when the container ends here (a trailing comma allowed), False when more follow."""
        ch = self.peek()
        if ch == close:
            self.pos += 1
            return True
        if ch != ",":
            raise self.fail(f"expected ',' or '{close}'")
        self.pos += 1
        if self.peek() == close:
            self.note("trailing comma removed")
            self.pos += 1
            return True
        return False

    def number(self) -> int | float:
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            if self.text[self.pos:] == "-":
                self.pos = len(self.text)  # a minus sign, and the digits never came
            raise self.fail("expected a number")
        end = match.end()
        follows = self.text[end:end + 1]
        if end >= len(self.text) or re.fullmatch(r"[.eE+\-0-9]+", self.text[end:]):
            self.pos = len(self.text)
            raise self.fail("")  # the digits may go on
        if follows.isalnum() or follows in "._":
            self.pos = end
            raise self.fail("not a JSON number")
        self.pos = end
        return json.loads(match.group(0))

    def word(self) -> Any:
        match = re.compile(r"[A-Za-z_]+").match(self.text, self.pos)
        word = match.group(0) if match else ""
        if word in _LITERALS:
            self.pos += len(word)
            return _LITERALS[word]
        if word in _PYTHON_LITERALS:
            self.pos += len(word)
            self.note("Python literals (None/True/False) read as JSON")
            return _PYTHON_LITERALS[word]
        if word and self.pos + len(word) >= len(self.text) and any(
                w.startswith(word) for w in (*_LITERALS, *_PYTHON_LITERALS)):
            self.pos = len(self.text)  # "tru" at the very end: a literal still arriving
        raise self.fail(f"unexpected {word or self.text[self.pos]!r}")

    def string(self) -> str:
        quote = self.text[self.pos]
        if quote == "'":
            self.note("single-quoted strings read as JSON strings")
        self.pos += 1
        text, out = self.text, []
        while True:
            end = self.pos
            while end < len(text) and text[end] not in (quote, "\\") and text[end] >= " ":
                end += 1
            out.append(text[self.pos:end])
            self.pos = end
            if end >= len(text):
                raise self.fail("")
            ch = text[end]
            if ch == quote:
                self.pos += 1
                return "".join(out)
            if ch != "\\":
                self.note("raw control characters inside strings kept")
                out.append(ch)
                self.pos += 1
                continue
            out.append(self.escape(quote))

    def escape(self, quote: str) -> str:
        text = self.text
        if self.pos + 1 >= len(text):
            self.pos = len(text)
            raise self.fail("")
        ch = text[self.pos + 1]
        if ch == "u":
            return self.hex_escape(4, "u")
        if ch == "x":
            self.note("Python escapes (\\xHH) decoded")
            return self.hex_escape(2, "x")
        if ch == "U":
            self.note("Python escapes (\\UHHHHHHHH) decoded")
            return self.hex_escape(8, "U")
        if ch in _JSON_ESCAPES:
            self.pos += 2
            return _JSON_ESCAPES[ch]
        if ch == "'":
            if quote != "'":
                raise JsonDamage("ambiguous", "\\' inside a double-quoted string is either an escaped quote or "
                                 "a backslash that was not doubled", self.pos)
            self.pos += 2
            return "'"
        if ch in _LITERAL_ESCAPES:
            self.note("backslashes before non-escape characters (\\d, \\.) kept as written")
            self.pos += 2
            return "\\" + ch
        raise JsonDamage("ambiguous", f"unknown escape \\{ch} at char {self.pos}: meant literally, or as in "
                         "some other language", self.pos)

    def hex_escape(self, digits: int, letter: str) -> str:
        start = self.pos + 2
        chunk = self.text[start:start + digits]
        if len(chunk) < digits and re.fullmatch(r"[0-9a-fA-F]*", chunk):
            self.pos = len(self.text)
            raise self.fail("")
        if len(chunk) < digits or not re.fullmatch(r"[0-9a-fA-F]+", chunk):
            raise JsonDamage("malformed", f"bad \\{letter} escape at char {self.pos}", self.pos)
        code = int(chunk, 16)
        self.pos = start + digits
        if letter == "u" and 0xD800 <= code < 0xDC00 and self.text[self.pos:self.pos + 2] == "\\u":
            low = self.text[self.pos + 2:self.pos + 6]
            if len(low) == 4 and re.fullmatch(r"[0-9a-fA-F]{4}", low) and 0xDC00 <= int(low, 16) < 0xE000:
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00))
        if code > 0x10FFFF:
            raise JsonDamage("malformed", f"bad \\{letter} escape at char {self.pos}", self.pos)
        return chr(code)


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object_pairs_hook: a key given twice with different values is refused, not silently overwritten."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            raise JsonDamage("ambiguous", f"property '{key}' is given twice with different values")
        out[key] = value
    return out


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)
