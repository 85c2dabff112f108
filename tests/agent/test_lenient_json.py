"""The tolerant parser, proved on generated values: every accepted deviation reads back exactly the value meant,
and no cut-off text is ever read as a value other than the one meant."""

from __future__ import annotations

import json
import random

import pytest

from codetether.lenient_json import JsonDamage, parse_object, parse_value

ALPHABET = "abc xyz'\"\\/\n\t\r{}[]:,é€😀\x00\x1b#$."


def rand_value(rng: random.Random, depth: int = 0):
    kinds = ["str", "int", "float", "bool", "none"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
    if kind == "int":
        return rng.choice([0, -1, 7, 123456789, -2**40])
    if kind == "float":
        return rng.choice([0.5, -1.25, 3.0e-5, 1e21, 2.5])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rand_object(rng, depth + 1)


def rand_object(rng: random.Random, depth: int = 0) -> dict:
    return {"".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6))): rand_value(rng, depth)
            for _ in range(rng.randint(1, 4))}


def objects(n: int = 400, seed: int = 24):
    rng = random.Random(seed)
    return [rand_object(rng) for _ in range(n)]


def with_raw_controls(value) -> str:
    """JSON whose strings hold raw newlines, tabs and carriage returns instead of escapes."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{with_raw_controls(k)}: {with_raw_controls(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(with_raw_controls(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")
    return json.dumps(value)


def with_trailing_commas(value) -> str:
    if isinstance(value, dict):
        return "{" + "".join(f"{json.dumps(k)}: {with_trailing_commas(v)}," for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + "".join(f"{with_trailing_commas(v)}," for v in value) + "]"
    return json.dumps(value)


@pytest.mark.parametrize("render", [
    json.dumps,
    lambda v: json.dumps(v, ensure_ascii=False, indent=2),
    repr,  # Python's own literal syntax: single quotes, True/False/None, \x escapes
    with_raw_controls,
    with_trailing_commas,
    lambda v: json.dumps(json.dumps(v)),  # double-encoded
    lambda v: f"```json\n{json.dumps(v)}\n```",
    lambda v: f"Here are the arguments: {json.dumps(v)}\nThat is all.",
    lambda v: json.dumps(v) + "}",
], ids=["json", "pretty", "python-repr", "raw-controls", "trailing-commas", "double-encoded", "fence", "prose",
        "extra-brace"])
def test_each_accepted_deviation_reads_back_exactly(render):
    for value in objects():
        text = render(value)
        assert parse_object(text).value == value, text


def test_strict_json_needs_no_repair():
    for value in objects(100):
        assert parse_object(json.dumps(value)).repairs == []


@pytest.mark.parametrize("render", [json.dumps, repr, with_raw_controls, with_trailing_commas,
                                    lambda v: json.dumps(v, indent=1)])
def test_no_cut_off_text_is_read_as_a_value(render):
    """Every proper prefix of an object's text is refused as truncated: never run with what arrived."""
    for value in objects(60, seed=7):
        text = render(value).rstrip()
        for end in range(1, len(text)):
            with pytest.raises(JsonDamage) as damage:
                parse_object(text[:end])
            assert damage.value.kind == "truncated", (text[:end], damage.value)


def test_wrapped_prefixes_are_refused_or_exactly_the_value():
    """With a fence or prose around it, a cut may fall after the object: then the object, else a refusal."""
    for value in objects(40, seed=9):
        text = f"```json\n{json.dumps(value)}\n```"
        for end in range(1, len(text)):
            try:
                got = parse_object(text[:end]).value
            except JsonDamage:
                continue
            assert got == value


@pytest.mark.parametrize("text, kind", [
    ('{"a": 1}{"b": 2}', "ambiguous"),  # two objects: one would be dropped
    ('{"a": 1, "a": 2}', "ambiguous"),  # json.loads would silently keep the last
    ("{'a': 1, 'a': 2}", "ambiguous"),
    ('{"a": "it\\\'s"}', "ambiguous"),  # an escaped quote, or a backslash not doubled?
    ('{"a": "\\1"}', "ambiguous"),  # a backreference, or an octal escape?
    ('{"a": "\\e"}', "ambiguous"),
    ('{"a": 1} {"b": [2]}', "ambiguous"),
    ('Call "read" with {"path": "x"}', "ambiguous"),  # quotes in the prose before it
    ('{"path: "x"}', "malformed"),
    ("{path: 'x'}", "malformed"),
    ('{"a": 01}', "malformed"),
    ('{"a": NaN1}', "malformed"),
    ('{"a": 1 "b": 2}', "malformed"),
    ('{"a": undefined}', "malformed"),
    ('{"a": "x"', "truncated"),
    ('{"a": [1, 2', "truncated"),
    ('{"a": tru', "truncated"),
    ('{"a": Non', "truncated"),
    ('{"a": 1.', "truncated"),
    ('{"a": "\\u00', "truncated"),
    ('{"a": "x\\', "truncated"),
    ("```json\n{\"a\": [1,", "truncated"),
])
def test_what_is_refused(text, kind):
    with pytest.raises(JsonDamage) as damage:
        parse_object(text)
    assert damage.value.kind == kind


def test_each_repair_is_named():
    assert parse_object("{'a': None,}").repairs == ["single-quoted strings read as JSON strings",
                                                    "Python literals (None/True/False) read as JSON",
                                                    "trailing comma removed"]
    assert parse_object('{"p": "\\d+\\.py"}').value == {"p": "\\d+\\.py"}
    assert parse_object('{"a": 1,\\n"b": 2}').repairs == ["\\n written between values read as whitespace"]
    assert parse_object("").value == {} and parse_object("").repairs == []
    assert parse_object("null").value == {}
    assert parse_object('"\\"{\\\\\\"a\\\\\\": 1}\\""').value == {"a": 1}  # encoded twice


def test_non_objects_are_refused_and_plain_values_parse():
    for text in ("[1, 2]", "5", '"just text"', "true"):
        with pytest.raises(JsonDamage):
            parse_object(text)
    assert parse_value("[1, 2,]").value == [1, 2]
    assert parse_value("{'a': [True]}").value == {"a": [True]}
