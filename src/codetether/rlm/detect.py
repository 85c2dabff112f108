"""Content-type detection (spec §10.3) and the whitespace-aware token estimate."""

from __future__ import annotations

import math
import re

CONTENT_TYPES = ("code", "logs", "conversation", "documents", "mixed")
SAMPLE_LINES = 100
WINNER_SHARE = 0.30
ESTIMATE_SAMPLE_CHARS = 200_000  # the whitespace ratio of a 100 MB context is read from its start

CODE_PREFIXES = ("function", "class ", "def ", "const ", "let ", "var ", "import ", "export ", "async ", "fn ",
                 "impl ", "struct ", "enum ", "pub ", "use ", "mod ", "trait ", "from ", "return ", "package ",
                 "func ", "#include", "@")
CODE_LINE = re.compile(r"^[{}()\[\];,]+$|^(//|/\*|\*/|\* )|[{;]$|\)\s*(->\s*[\w\[\], .|]+)?:$")
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\[\d|^\d{2}:\d{2}:\d{2}|\b(ERROR|WARN|WARNING|INFO|DEBUG|TRACE|FATAL|"
                      r"CRITICAL)\b")
CONVERSATION_LINE = re.compile(r"^\[?(user|assistant|system|human|ai|tool)\]?\s*:|^<(user|assistant|system)>|"
                               r"^\[tool ", re.IGNORECASE)
DOCUMENT_LINE = re.compile(r"^#{1,6} |\*\*|^> |^[-*+] |^\d+\. |^={3,}$|^-{3,}$")
PROSE = re.compile(r"^[A-Z][^{};=<>]{58,}[.!?:\"')]$")


def classify_line(line: str) -> str | None:
    """The kind of one line, in the spec's priority order, or None when it says nothing."""
    text = line.strip()
    if not text:
        return None
    if CONVERSATION_LINE.search(text):
        return "conversation"
    if LOG_LINE.search(text):
        return "logs"
    if text.startswith(CODE_PREFIXES) or CODE_LINE.search(text):
        return "code"
    if DOCUMENT_LINE.search(text) or PROSE.match(text):
        return "documents"
    return None


def detect_content_type(text: str) -> str:
    """Sample the first and last 100 lines; the first type (by priority) holding over 30% of them wins."""
    lines = _sample_lines(text)
    counts = dict.fromkeys(CONTENT_TYPES[:4], 0)
    for line in lines:
        kind = classify_line(line)
        if kind:
            counts[kind] += 1
    total = sum(counts.values())
    if total == 0:
        return "mixed"
    for kind in ("conversation", "logs", "code", "documents"):
        if counts[kind] > total * WINNER_SHARE:
            return kind
    return "mixed"


def _sample_lines(text: str) -> list[str]:
    # Only the ends are split, so detection stays cheap on a 100 MB context.
    head = text[:SAMPLE_LINES * 400].split("\n")[:SAMPLE_LINES]
    if len(text) <= SAMPLE_LINES * 800:
        all_lines = text.split("\n")
        return all_lines if len(all_lines) <= 2 * SAMPLE_LINES else all_lines[:SAMPLE_LINES] + all_lines[-SAMPLE_LINES:]
    tail = text[-SAMPLE_LINES * 400:].split("\n")[1:][-SAMPLE_LINES:]
    return head + tail


def chars_per_token(text: str) -> float:
    """Dense text (little whitespace, as in minified code or base64) packs fewer characters into a token."""
    sample = text[:ESTIMATE_SAMPLE_CHARS]
    if not sample:
        return 4.0
    ratio = sum(sample.count(c) for c in " \t\n\r") / len(sample)
    return 2.8 if ratio < 0.05 else 3.2 if ratio < 0.10 else 3.6 if ratio < 0.20 else 4.0


def estimate_tokens(text: str, per_token: float | None = None) -> int:
    return math.ceil(len(text) / (per_token or chars_per_token(text)))
