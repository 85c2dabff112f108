"""Modal pickers: the model selector (Ctrl+P, with search) and the sessions picker."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from codetether.session.store import SessionInfo


class _Picker(ModalScreen[str | None]):
    """A modal list: moving the cursor and cancelling work the same in every picker."""

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ModelPicker(_Picker):
    """Type to filter; Up/Down move; Enter picks (a typed provider/model not listed is taken as is)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("down", "move(1)", show=False),
                Binding("up", "move(-1)", show=False)]

    def __init__(self, choices: list[str], current: str | None, title: str = "Select Model") -> None:
        super().__init__(classes="dialog-screen")
        self.choices, self.current, self.title_text = choices, current, title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker", id="model-picker"):
            yield Static(f" {self.title_text} (↑↓ navigate, Enter select, Esc cancel) ", classes="dialog-title")
            yield Input(placeholder="filter", id="model-filter")
            yield OptionList(id="model-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        shown = [c for c in self.choices if text.lower() in c.lower()]
        if not shown:
            label = f"use {text}" if "/" in text else "No models found. Check provider configuration (Vault or config)."
            options.add_option(Option(label, id=text if "/" in text else None, disabled="/" not in text))
        for choice in shown:
            options.add_option(Option(("✓ " if choice == self.current else "  ") + choice, id=choice))
        exact = next((i for i, c in enumerate(shown) if c.lower() == text.lower()), 0)  # typed in full: that one
        options.highlighted = exact if options.option_count else None

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            if option.id and not option.disabled:
                self.dismiss(option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)



def session_label(info: SessionInfo) -> str:
    when = datetime.fromtimestamp(info.updated_at).strftime("%Y-%m-%d %H:%M")
    return (f"{info.title or '(untitled)'} - {when} ({info.message_count} msgs)\n"
            f"  Agent: {info.agent} | Model: {info.model} | ID: {info.id}")


class SessionPicker(_Picker):
    """This project's sessions, newest first; Enter resumes one."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("j", "move(1)", show=False),
                Binding("k", "move(-1)", show=False)]

    def __init__(self, sessions: list[SessionInfo]) -> None:
        super().__init__(classes="dialog-screen")
        self.sessions = sessions

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker", id="session-picker"):
            yield Static(" Sessions (↑↓ navigate, Enter resume, Esc cancel) ", classes="dialog-title")
            yield OptionList(*(Option(session_label(s), id=s.id) for s in self.sessions), id="session-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

