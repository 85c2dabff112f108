"""Modal dialogs: permission prompts for "ask" rules, the question tool, crash-report consent and help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from codetether.tool.support.permission import ApprovalRequest
from codetether.tui.slash import HELP_TEXT


class ApprovalScreen(ModalScreen[str]):
    """Allow one tool call? y allows once, a always (when a rule can say so), n or Esc declines."""

    BINDINGS = [Binding("y", "answer('once')", "Allow"), Binding("a", "answer('always')", "Always"),
                Binding("n", "answer('reject')", "Deny"), Binding("escape", "answer('reject')", "Deny", show=False)]

    def __init__(self, request: ApprovalRequest, always: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.request, self.always = request, always  # always: the rule "a" would write, None: no such choice

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="approval"):
            yield Static(f"Allow {self.request.tool}?", classes="dialog-title", markup=False)
            yield Static(self.request.subject, classes="dialog-body", markup=False)
            yield Static(f"rule: {self.request.rule}", classes="dialog-hint", markup=False)
            if self.always:
                yield Static(f"[a] always writes: {self.always}", classes="dialog-hint", markup=False)
            keys = "[y] allow once   [a] always   [n] deny" if self.always else "[y] allow   [n] deny"
            yield Static(keys, classes="dialog-hint", markup=False)

    def action_answer(self, answer: str) -> None:
        if answer == "always" and not self.always:
            return
        self.dismiss(answer)


class ConsentScreen(ModalScreen[bool]):
    """The first-run crash-reporting question: y enables; n, Enter or Esc leaves it off."""

    BINDINGS = [Binding("y", "answer(True)", "Enable"), Binding("n,enter,escape", "answer(False)", "No")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        from codetether.crash.consent import INTRO

        title, _, body = INTRO.partition("\n")
        with Vertical(classes="dialog", id="consent"):
            yield Static(title, classes="dialog-title", markup=False)
            yield Static(body, classes="dialog-body", markup=False)
            yield Static("Enable crash reporting now?  [y] yes   [n/Enter] no", classes="dialog-hint", markup=False)

    def action_answer(self, enabled: bool) -> None:
        self.dismiss(enabled)


class QuestionScreen(ModalScreen[str]):
    """The question tool: pick an option or type an answer; Enter on empty input takes the default."""

    BINDINGS = [Binding("escape", "skip", "Skip", show=False)]

    def __init__(self, question: str, options: list[str], default: str | None) -> None:
        super().__init__(classes="dialog-screen")
        self.question, self.options, self.default = question, options, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="question"):
            yield Static(f"? {self.question}", classes="dialog-title", markup=False)
            if self.options:
                yield OptionList(*self.options, id="question-options")
            yield Input(placeholder=f"answer (Enter: {self.default or 'the highlighted option'})",
                        id="question-input")

    def on_mount(self) -> None:
        self.query_one("#question-input", Input).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[event.option_index])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text and self.options:
            index = self.query_one(OptionList).highlighted
            text = self.options[index] if index is not None else ""
        self.dismiss(text or self.default or "")

    def action_skip(self) -> None:
        self.dismiss(self.default or "")


class HelpScreen(ModalScreen[None]):
    """Keys and slash commands; Esc, ? or q closes."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static(" Help ", classes="dialog-title")
            yield Static(HELP_TEXT, markup=False, id="help-body")

    def action_close(self) -> None:
        self.dismiss(None)
