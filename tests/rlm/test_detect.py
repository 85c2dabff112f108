"""Content-type detection (spec §10.3) and the token estimate, on small fixtures of each kind."""

from __future__ import annotations

import pytest

from codetether.rlm.context import RlmContext, wrap_file
from codetether.rlm.detect import chars_per_token, detect_content_type, estimate_tokens

CODE = '''import os
from pathlib import Path


class Loader:
    """Loads things."""

    def __init__(self, root):
        self.root = Path(root)

    def load(self, name):
        return (self.root / name).read_text()


def main():
    return Loader(os.getcwd()).load("x")
'''
RUST = "use std::io;\n\npub struct Config {\n    name: String,\n}\n\nimpl Config {\n    pub fn new() -> Self {\n" \
       "        Config { name: String::new() }\n    }\n}\n\nfn main() {\n    let c = Config::new();\n}\n"
LOGS = "".join(f"2024-03-0{1 + i % 5} 10:{i:02d}:00 {'ERROR' if i % 4 == 0 else 'INFO'} worker-{i} finished job {i}\n"
               for i in range(40))
BRACKET_LOGS = "".join(f"[{i:03d}.551] kernel: usb 1-1: new device number {i}\n" for i in range(30))
CONVERSATION = "".join(f"User: can you check file {i}?\nAssistant: I looked at file {i}; it is fine.\n"
                       for i in range(15))
TAGGED_CONVERSATION = "".join(f"<user>\nplease fix bug {i}\n</user>\n<assistant>\nfixed bug {i}\n</assistant>\n"
                              for i in range(10)) + "[Tool bash]: ok\n"
DOCUMENT = """# Installation Guide

This guide explains how to install the product on a fresh machine, step by step, with examples.

## Requirements

- Python 3.11 or newer
- **git** and make

> Note: older versions are not supported.

## Steps

1. Clone the repository.
2. Run the installer and follow what it says on the screen.
"""
MIXED = "hello\nworld\n12345\nfoo bar\nbaz\n"


@pytest.mark.parametrize(("text", "expected"), [
    (CODE, "code"), (RUST, "code"), (wrap_file("src/app.py", CODE), "code"),
    (LOGS, "logs"), (BRACKET_LOGS, "logs"),
    (CONVERSATION, "conversation"), (TAGGED_CONVERSATION, "conversation"),
    (DOCUMENT, "documents"),
    (MIXED, "mixed"), ("", "mixed"),
], ids=["python", "rust", "wrapped-file", "logs", "bracket-logs", "chat", "tagged-chat", "markdown", "mixed",
        "empty"])
def test_detects_each_kind(text, expected):
    assert detect_content_type(text) == expected


def test_only_the_ends_of_a_large_context_are_sampled():
    middle = "User: this line is in the middle\n" * 50_000
    assert detect_content_type(LOGS * 5 + middle + LOGS * 5) == "logs"


def test_forced_type_wins_and_unknown_is_a_usage_error():
    assert RlmContext.build(LOGS, "documents").content_type == "documents"
    from codetether.errors import UsageError

    with pytest.raises(UsageError, match="unknown content type 'tables'"):
        RlmContext.build(LOGS, "tables")


def test_token_estimate_follows_whitespace_density():
    dense = "x" * 1000
    assert chars_per_token(dense) == 2.8 and estimate_tokens(dense) == 358
    assert chars_per_token("abcdefghi " * 100) == 3.6  # 10% whitespace
    assert chars_per_token("ab cd " * 100) == 4.0
    assert estimate_tokens("") == 0


def test_context_describes_itself_without_the_whole_text():
    ctx = RlmContext.build(LOGS * 100, sources=["app.log"])
    assert ctx.content_type == "logs" and len(ctx.lines) == 4000
    assert "4,000 lines" in ctx.describe() and "content type logs" in ctx.describe() and "app.log" in ctx.describe()
    preview = ctx.preview(500)
    assert len(preview) <= 500 and preview.startswith("2024-03-01 10:00:00 ERROR")
    assert ctx.line_of(0) == 1 and ctx.line_of(len(ctx.lines[0]) + 1) == 2
