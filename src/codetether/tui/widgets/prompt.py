"""The message input: Enter sends, Ctrl+J / Alt+Enter add a line, Ctrl+Up/Down walk the history, @ completes,
Ctrl+V pastes a clipboard image."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from codetether.tui.widgets.mentions import TYPED, MentionPopup

NEWLINE_KEYS = frozenset({"ctrl+j", "alt+enter", "shift+enter", "newline"})


class PromptInput(TextArea):
    """A multi-line input; `Submitted` carries the text, which joins the history."""

    @dataclass
    class Submitted(Message):
        text: str
        images: list = field(default_factory=list)  # ImageParts pasted from the clipboard and still named in text

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.sent: list[str] = []
        self._cursor: int | None = None  # index into history while browsing it
        self._draft = ""
        self.pasted: dict[str, object] = {}  # "[image #1]" -> its ImagePart, from Ctrl+V

    async def _on_key(self, event: events.Key) -> None:
        popup = self.mentions
        if popup is not None and popup.open and event.key in ("up", "down", "tab", "enter", "escape"):
            event.stop()
            event.prevent_default()
            if event.key in ("up", "down"):
                popup.move(-1 if event.key == "up" else 1)
            elif event.key == "escape" or not self._accept(popup):
                popup.close()
        elif event.character == "?" and not self.text:  # `?` on an empty input opens help, as in the seed
            event.stop()
            event.prevent_default()
            await self.app.run_action("help")
        elif event.key == "enter":  # exactly Enter (Ctrl+M is its alias: it sends the prompt too)
            event.stop()
            event.prevent_default()
            self._submit()
        elif event.key == "ctrl+v" and await self._paste_image():
            event.stop()
            event.prevent_default()
        elif event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
        elif event.key in ("ctrl+up", "ctrl+down") or (event.key in ("up", "down") and self._on_edge(event.key)):
            event.stop()
            event.prevent_default()
            self._browse(-1 if event.key.endswith("up") else 1)
        else:
            await super()._on_key(event)

    @property
    def mentions(self) -> MentionPopup | None:
        """The screen's `@path` popup, if it has one."""
        found = self.screen.query(MentionPopup)
        return found.first() if found else None

    def _typed_mention(self) -> tuple[int, int, str] | None:
        """(row, column where the query starts, query) for an `@word` ending at the cursor."""
        row, col = self.cursor_location
        match = TYPED.search(self.document.get_line(row)[:col])
        return (row, col - len(match.group(1)), match.group(1)) if match else None

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        popup = self.mentions
        if popup is None:
            return
        typed = self._typed_mention()
        root = getattr(self.app, "project_root", None)
        if typed is None or not isinstance(root, Path):
            popup.close()
        else:
            popup.offer(root, typed[2])

    def _accept(self, popup: MentionPopup) -> bool:
        """Replace the `@word` at the cursor with the highlighted path; False when there is none."""
        path, typed = popup.chosen(), self._typed_mention()
        if path is None or typed is None:
            return False
        row, start, _ = typed
        result = self.replace(path + " ", (row, start), self.cursor_location, maintain_selection_offset=False)
        self.move_cursor(result.end_location)
        popup.close()
        return True

    def _on_edge(self, key: str) -> bool:
        """Up on the first line / Down on the last browses history, as in a shell."""
        row = self.cursor_location[0]
        return (key == "up" and row == 0) or (key == "down" and row == self.document.line_count - 1)

    def recall(self, text: str | None) -> None:
        """Put a prompt picked from history back into the input, ready to edit or send."""
        if text:
            self.load_text(text)
            self.move_cursor(self.document.end)
            self.focus()

    async def _paste_image(self) -> bool:
        """Ctrl+V with an image on the system clipboard: attach it, leaving "[image #N]" in the text."""
        import asyncio

        from codetether.errors import CodetetherError
        from codetether.images import image_from_bytes
        from codetether.tui.clipboard import clipboard_image

        data = await asyncio.to_thread(clipboard_image)
        if not data:
            return False
        label = f"[image #{len(self.pasted) + 1}]"
        try:
            self.pasted[label] = image_from_bytes(data, "the clipboard's image")
        except CodetetherError as exc:
            self.app.notify(exc.message, severity="error")
            return True
        self.insert(label + " ")
        return True

    def _submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._cursor, self._draft = None, ""
        images = [image for label, image in self.pasted.items() if label in text]
        self.pasted = {}
        self.clear()
        self.post_message(self.Submitted(text, images))

    def _browse(self, step: int) -> None:
        if not self.sent:
            return
        if self._cursor is None:
            if step > 0:
                return
            self._draft, self._cursor = self.text, len(self.sent)
        self._cursor = max(0, self._cursor + step)
        if self._cursor >= len(self.sent):
            self._cursor, text = None, self._draft
        else:
            text = self.sent[self._cursor]
        self.load_text(text)
        self.move_cursor(self.document.end)
