"""Recognise a provider's "the prompt is longer than my context window" refusal and the numbers it states."""

from __future__ import annotations

import re
from dataclasses import dataclass

# How providers word it (OpenAI, vLLM, DeepSeek, Anthropic, llama.cpp, Gemini, Bedrock, Mistral, Moonshot...).
_MARKERS = re.compile(
    r"context[_ ]length[_ ]exceeded|maximum context length|context window|context size|context limit"
    r"|prompt is too long|input is too long|too many tokens|exceeds? the maximum number of tokens"
    r"|exceed_context_size|model token limit|reduce the length of the (?:messages|prompt)", re.IGNORECASE)
_LIMIT = (
    re.compile(r"maximum context length is (\d[\d,]*)", re.IGNORECASE),
    re.compile(r"maximum number of tokens allowed \((\d[\d,]*)\)", re.IGNORECASE),
    re.compile(r"\"n_ctx\"\s*:\s*(\d+)"),
    re.compile(r">\s*(\d[\d,]*)"),
    re.compile(r"token limit:?\s*(\d[\d,]*)", re.IGNORECASE),
    re.compile(r"context (?:window|length|size|limit)(?: of(?: this model)?| is)?:?\s+(\d[\d,]*)", re.IGNORECASE),
)
_PROMPT = (
    re.compile(r"\((\d[\d,]*) in the messages", re.IGNORECASE),
    re.compile(r"prompt contains at least (\d[\d,]*)", re.IGNORECASE),
    re.compile(r"prompt is too long: (\d[\d,]*) tokens", re.IGNORECASE),
    re.compile(r"\"n_prompt_tokens\"\s*:\s*(\d+)"),
    re.compile(r"input token count \((\d[\d,]*)\)", re.IGNORECASE),
    re.compile(r"(\d[\d,]*) input tokens", re.IGNORECASE),
)


@dataclass(frozen=True)
class Overflow:
    limit: int | None  # the window the provider states, in its tokens
    prompt_tokens: int | None  # how long it says the prompt was


def parse_overflow(status: int, text: str) -> Overflow | None:
    """The stated numbers when `text` (an error body) says the request exceeded the context window, else None."""
    if status not in (400, 413, 422) or not _MARKERS.search(text):
        return None
    return Overflow(_first(_LIMIT, text), _first(_PROMPT, text))


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            value = int(match.group(1).replace(",", ""))
            if value >= 256:  # "context length is 4 tokens" is no window; a bare small number is not one either
                return value
    return None
