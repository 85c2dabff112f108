"""The model an RLM analysis runs with; kept apart so agents can hold one without importing the RLM loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codetether.provider.model import Usage

if TYPE_CHECKING:
    from codetether.agent.loop import ChatModel


@dataclass
class RlmModel:
    """A model to analyse with: a provider client (or anything with its `complete`), the model name, its window."""

    client: ChatModel
    model: str
    window: int
    temperature: float | None = None
    on_usage: Callable[[Usage], None] | None = None  # e.g. an agent counting these calls in its own usage
