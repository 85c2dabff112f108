"""Regexes from the model, made safe to run: catastrophic shapes are refused, and matching works on capped
windows of a line so that even a slow pattern has a bounded cost per line."""

from __future__ import annotations

import re
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

MAX_PATTERN_CHARS = 500
MAX_UNBOUNDED = 2  # each unbounded repeat multiplies the worst case by the window length
WINDOW_CHARS = 1_000  # a longer line is searched in windows of this size (a match across a seam is missed)
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)}


class PatternRefused(ValueError):
    """A pattern that is invalid or could take exponential time; the message says how to rewrite it."""


def compile_safe(pattern: str) -> re.Pattern[str]:
    if not pattern:
        raise PatternRefused("the pattern is empty")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternRefused(f"the pattern is {len(pattern)} chars; keep it under {MAX_PATTERN_CHARS}")
    try:
        compiled = re.compile(pattern)
        tree = sre_parse.parse(pattern)
    except re.error as exc:
        raise PatternRefused(f"invalid regex {pattern!r}: {exc}") from None
    unbounded = _check(tree, inside_repeat=False)
    if unbounded > MAX_UNBOUNDED:
        raise PatternRefused(f"the pattern has {unbounded} unbounded repeats (*, +, {{n,}}); use at most "
                             f"{MAX_UNBOUNDED}, e.g. match a literal word instead of .*")
    return compiled


def _check(items: Any, inside_repeat: bool) -> int:
    """Refuse exponential shapes: a repeat or an alternation inside an unbounded repeat, backreferences."""
    unbounded = 0
    for op, arg in items:
        if op in _REPEATS:
            low, high, body = arg
            is_unbounded = high == sre_constants.MAXREPEAT
            if inside_repeat and high > 1:
                raise PatternRefused("nested repeats such as (a+)+ or (\\w*\\s)* can take exponential time; "
                                     "remove the outer repeat")
            unbounded += is_unbounded + _check(body, inside_repeat or is_unbounded)
        elif op is sre_constants.BRANCH:
            if inside_repeat:
                raise PatternRefused("an alternation inside a repeat such as (a|ab)* can take exponential time; "
                                     "count each alternative separately")
            unbounded += sum(_check(branch, inside_repeat) for branch in arg[1])
        elif op is sre_constants.SUBPATTERN:
            unbounded += _check(arg[-1], inside_repeat)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            unbounded += _check(arg[1], inside_repeat)
        elif op is sre_constants.GROUPREF or op is getattr(sre_constants, "GROUPREF_EXISTS", None):
            raise PatternRefused("backreferences (\\1, (?P=name)) are not supported; match the text itself")
        elif op is getattr(sre_constants, "ATOMIC_GROUP", None):
            unbounded += _check(arg, inside_repeat)
    return unbounded


def windows(line: str) -> list[str] | tuple[str]:
    if len(line) <= WINDOW_CHARS:
        return (line,)
    return [line[i:i + WINDOW_CHARS] for i in range(0, len(line), WINDOW_CHARS)]
