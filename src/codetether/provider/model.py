"""The provider-neutral message model shared by every dialect, the agent loop and sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class TextPart:
    text: str
    type: Literal["text"] = "text"


@dataclass
class ThinkingPart:
    text: str
    signature: str | None = None
    type: Literal["thinking"] = "thinking"


@dataclass
class ImagePart:
    url: str
    mime_type: str | None = None
    type: Literal["image"] = "image"


@dataclass
class ToolCallPart:
    id: str
    name: str
    arguments: str  # raw JSON text exactly as the model produced it
    type: Literal["tool_call"] = "tool_call"


@dataclass
class ToolResultPart:
    tool_call_id: str
    content: str
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"


Part = TextPart | ThinkingPart | ImagePart | ToolCallPart | ToolResultPart
_PART_TYPES = {c.__dataclass_fields__["type"].default: c for c in
               (TextPart, ThinkingPart, ImagePart, ToolCallPart, ToolResultPart)}


@dataclass
class Message:
    role: Role
    parts: list[Part] = field(default_factory=list)

    @classmethod
    def text(cls, role: Role, text: str) -> Message:
        return cls(role, [TextPart(text)])

    @property
    def text_content(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        return [p for p in self.parts if isinstance(p, ToolCallPart)]

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "parts": [asdict(p) for p in self.parts]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        parts = []
        for raw in data.get("parts", []):
            kind = _PART_TYPES[raw["type"]]
            parts.append(kind(**{k: v for k, v in raw.items() if k != "type"}))
        return cls(data["role"], parts)


@dataclass
class ToolDefinition:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens


# malformed_call: the provider itself rejected the model's tool call (Gemini's MALFORMED_FUNCTION_CALL).
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "malformed_call"]


@dataclass
class CompletionRequest:
    model: str
    messages: list[Message]
    tools: list[ToolDefinition] = field(default_factory=list)
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = True


@dataclass
class CompletionResponse:
    message: Message
    usage: Usage
    finish_reason: FinishReason = "stop"
    # Tool call id -> what was repaired to read that call (a text protocol's parser, the tool-call router).
    repairs: dict[str, list[str]] = field(default_factory=dict)


# Streaming deltas a dialect yields while a response is being assembled.
@dataclass
class TextDelta:
    text: str


@dataclass
class ThinkingDelta:
    text: str


@dataclass
class Waiting:
    """Not a delta of the answer: the provider asked us to wait this long before trying again (Retry-After)."""

    seconds: float
    reason: str


# Receives streamed text and thinking as it arrives (Provider.complete's on_delta), and long waits.
DeltaCallback = Callable[[TextDelta | ThinkingDelta | Waiting], None]
