"""Recognise a provider's "the prompt is longer than my context window" refusal and the numbers it states."""

from __future__ import annotations

import re
from dataclasses import dataclass

# How providers word it (OpenAI, vLLM, DeepSeek, Anthropic, llama.cpp, Gemini, Bedrock, Mistral, Moonshot...).
# Plain strings: compiled (and cached by `re`) only when an error body is read, not at every start.
_MARKERS = (r"(?i)context[_ ]length[_ ]exceeded|maximum context length|context window|context size|context limit"
            r"|prompt is too long|input is too long|too many tokens|exceeds? the maximum number of tokens"
            r"|exceed_context_size|model token limit|reduce the length of the (?:messages|prompt)")
_LIMIT = (
    r"(?i)maximum context length is (\d[\d,]*)",
    r"(?i)maximum number of tokens allowed \((\d[\d,]*)\)",
    r"\"n_ctx\"\s*:\s*(\d+)",
    r">\s*(\d[\d,]*)",
    r"(?i)token limit:?\s*(\d[\d,]*)",
    r"(?i)context (?:window|length|size|limit)(?: of(?: this model)?| is)?:?\s+(\d[\d,]*)",
)
_PROMPT = (
    r"(?i)\((\d[\d,]*) in the messages",
    r"(?i)prompt contains at least (\d[\d,]*)",
    r"(?i)prompt is too long: (\d[\d,]*) tokens",
    r"\"n_prompt_tokens\"\s*:\s*(\d+)",
    r"(?i)input token count \((\d[\d,]*)\)",
    r"(?i)(\d[\d,]*) input tokens",
)


@dataclass(frozen=True)
class Overflow:
    limit: int | None  # the window the provider states, in its tokens
    prompt_tokens: int | None  # how long it says the prompt was


def parse_overflow(status: int, text: str) -> Overflow | None:
    """The stated numbers when `text` (an error body) says the request exceeded the context window, else None."""
    if status not in (400, 413, 422) or not re.search(_MARKERS, text):
        return None
    return Overflow(_first(_LIMIT, text), _first(_PROMPT, text))


def _first(patterns: tuple[str, ...], text: str) -> int | None:
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            value = int(match.group(1).replace(",", ""))
            if value >= 256:  # "context length is 4 tokens" is no window; a bare small number is not one either
                return value
    return None
