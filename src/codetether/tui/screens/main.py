"""The main screen: header, sidebar | chat | inspector (webview) or the chat alone (classic), input, status."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from codetether.tui.widgets.chat import ChatLog
from codetether.tui.widgets.mentions import MentionPopup
from codetether.tui.widgets.prompt import PromptInput
from codetether.tui.widgets.sidebar import Inspector, Sidebar
from codetether.tui.widgets.status import StatusBar

WEBVIEW_MIN = (90, 18)  # below this the seed draws the classic layout


class MainScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("Workspace Chat", id="header", markup=False)
        with Horizontal(id="body"):
            yield Sidebar()
            with Vertical(id="main-column"):
                yield Static(" Chat [build] ", id="chat-title", markup=False)
                yield ChatLog(id="chat")
            yield Inspector()
        yield MentionPopup(id="mentions")
        yield PromptInput(id="prompt")
        yield StatusBar(id="status")

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()
        self._fit(self.size.width, self.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        self.set_class(width < WEBVIEW_MIN[0] or height < WEBVIEW_MIN[1], "-narrow")

    def set_layout(self, layout: str) -> None:
        self.set_class(layout == "classic", "-classic")
