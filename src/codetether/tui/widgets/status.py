"""The one-row status bar: model, agent, tokens, cost, context use and git branch."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import Static


@dataclass
class StatusInfo:
    model: str = "—"
    agent: str = "build"
    tokens: int = 0
    cost: float = 0.0
    context_pct: float = 0.0
    branch: str | None = None
    busy: bool = False

    def line(self) -> str:
        state = "● working  Esc stops" if self.busy else "○ idle"
        warn = "⚠ " if self.context_pct >= 80 else ""
        parts = [f" {self.model} ", f" [{self.agent}] ", f" Tokens: {self.tokens:,} ", f" Cost: ${self.cost:.4f} ",
                 f" {warn}Context: {self.context_pct:.1f}% ", f" ⎇ {self.branch or '-'} ", f" {state} "]
        return "│".join(parts)


class StatusBar(Static):
    """Renders a StatusInfo; call `show` after changing it."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.info = StatusInfo()

    def show(self) -> None:
        self.update(self.info.line())
