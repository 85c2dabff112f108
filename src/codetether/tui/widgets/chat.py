"""The chat transcript: a virtualised view that draws only the blocks on screen.

A 5,000-message session costs what its visible screen costs: entries are cut into blocks (transcript.py) whose
heights are estimated until drawn; the blocks near the viewport are drawn when they come into view, and a
streaming reply's changed blocks are drawn in a worker thread, at most ~30 times a second, so neither long
markdown nor a long history sits on the input path.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_right
from functools import partial

from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from codetether.agent import events as ev
from codetether.tui.widgets import transcript as tr

REDRAW_INTERVAL = 1 / 20  # streaming text is redrawn at most this often (each redraw costs a frame)
SYNC_CHARS = 1_500  # markdown this long or longer is drawn in the worker even when scrolled into view
DRAW_BUDGET = 0.025  # seconds of drawing per worker job; what is left waits for the next one


class ChatLog(ScrollView, can_focus=False):
    """The scrolling transcript; follows new content unless the user scrolled up."""

    ALLOW_SELECT = True
    COMPONENT_CLASSES = {"chat--user", "chat--notice", "chat--error", "chat--tool-running", "chat--tool-ok",
                         "chat--tool-failed", "chat--tool-args"}
    DEFAULT_CSS = """
    ChatLog { scrollbar-gutter: stable; }
    ChatLog > .chat--user { color: $secondary; text-style: bold; }
    ChatLog > .chat--notice { color: $text-muted; }
    ChatLog > .chat--error { color: $error; }
    ChatLog > .chat--tool-running { color: $text-muted; }
    ChatLog > .chat--tool-ok { color: $success; }
    ChatLog > .chat--tool-failed { color: $error; }
    ChatLog > .chat--tool-args { color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[tr.Entry] = []
        self.blocks: list[tr.Block] = []
        self.starts: list[int] = [0]  # first line of each block; the last item is the total height
        self._dirty: int | None = None  # the first block whose position may be stale
        self._scheduled = False
        self._follow = True
        self._assistant: tr.AssistantEntry | None = None
        self._tools: dict[str, tr.ToolEntry] = {}
        self._drawer = tr.make_console()
        self._look: tr.Look | None = None
        self._queue: set[tr.Block] = set()  # blocks waiting for the worker
        self._inflight: set[tr.Block] = set()  # blocks the worker is drawing now
        self._drawing = False
        self._last_draw = 0.0
        self._timer = None
        self._repaint = True  # something drawn since the last paint
        self._blank_strip = Strip.blank(0)
        # Painted lines by (source strip, line number, ...): a frame that scrolls re-crops nothing.
        self._lines: LRUCache[tuple[int, int, int, int], tuple[Strip, Strip]] = LRUCache(512)

    # ----- what the app adds

    async def add_user(self, text: str) -> None:
        self._append(tr.user_entry(text, not self.entries))

    async def add_notice(self, text: str, kind: str = "info") -> None:
        self._append(tr.notice_entry(text, kind))

    async def add_markdown(self, text: str) -> None:
        entry = tr.AssistantEntry("assistant", lead=0 if not self.entries else 1)
        entry.feed(text)
        self._append(entry)

    async def clear_log(self) -> None:
        await self.end_text()
        self._tools.clear()
        for entry in self.entries:
            entry.blocks = []  # blocks point at their entry: without the cycle, refcounting frees them
        self.entries, self.blocks, self.starts = [], [], [0]
        self._lines.clear()
        self._repaint = True
        self._queue.clear()
        self._inflight = set()
        self._dirty, self._follow = None, True
        self._set_virtual_size(Size(self._width(), 0))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    async def text_chunk(self, text: str) -> None:
        entry = self._assistant
        if entry is None:
            entry = self._assistant = tr.AssistantEntry("assistant", lead=0 if not self.entries else 1)
            self._append(entry)
        count = len(entry.blocks)
        first = entry.feed(text, streaming=True)
        self._splice(entry, count, first)
        self._queue.update(entry.blocks[first:])  # drawn by the worker, not on the input path
        self._kick()

    async def text_complete(self, text: str) -> None:
        """The step's whole text: shown at once when nothing was streamed (non-streaming providers)."""
        if self._assistant is None:
            await self.add_markdown(text)
        await self.end_text()

    async def end_text(self) -> None:
        self._assistant = None

    async def tool_started(self, event: ev.ToolCallStarted) -> None:
        await self.end_text()
        entry = tr.tool_entry(event)
        self._tools[event.call_id] = entry
        self._append(entry)

    async def tool_completed(self, event: ev.ToolCallCompleted) -> None:
        entry = self._tools.pop(event.call_id, None)
        if entry is None:  # a call we never saw start (batch sub-calls): show it whole
            entry = tr.tool_entry(ev.ToolCallStarted(event.call_id, event.name, ""))
            self._append(entry)
        count = len(entry.blocks)
        tr.complete_tool(entry, event)
        self._splice(entry, count, 0)

    def toggle_tool(self, entry: tr.ToolEntry, expanded: bool | None = None) -> None:
        """Show or hide a tool call's arguments, output and diff."""
        count = len(entry.blocks)
        entry.expanded = not entry.expanded if expanded is None else expanded
        entry.rebuild()
        self._splice(entry, count, 0)

    def toggle_tools(self) -> bool:
        """Expand every tool call if any is collapsed, else collapse them all; True when now expanded."""
        tools = [entry for entry in self.entries if isinstance(entry, tr.ToolEntry)]
        expand = any(not entry.expanded for entry in tools)
        for entry in tools:
            if entry.expanded != expand:
                self.toggle_tool(entry, expand)
        return expand

    def plain_text(self) -> str:
        """Everything the transcript holds, as plain text (tool calls with their arguments and output)."""
        return "\n".join(tr.plain_text(entry) for entry in self.entries)

    # ----- bookkeeping: entries -> flat blocks -> line positions

    def _append(self, entry: tr.Entry) -> None:
        entry.number, entry.first = len(self.entries), len(self.blocks)
        self.entries.append(entry)
        self.blocks.extend(entry.blocks)
        self._mark(entry.first)

    def _splice(self, entry: tr.Entry, old_count: int, first_changed: int) -> None:
        """`entry` had `old_count` blocks; its blocks from `first_changed` on are new or changed."""
        start = entry.first
        self.blocks[start:start + old_count] = entry.blocks
        shift = len(entry.blocks) - old_count
        if shift:
            for later in self.entries[entry.number + 1:]:
                later.first += shift
        self._mark(start + min(first_changed, old_count))

    def _mark(self, index: int) -> None:
        self._dirty = index if self._dirty is None else min(self._dirty, index)
        if not self._scheduled:
            self._scheduled = True
            self.call_later(self._update)

    def _width(self) -> int:
        return self.scrollable_content_region.width

    def _relayout(self) -> None:
        if self._dirty is None:
            return
        width = self._width()
        index = min(self._dirty, len(self.starts) - 1)
        starts = self.starts
        del starts[index + 1:]
        y = starts[index]
        for block in self.blocks[index:]:
            y += block.height(width)
            starts.append(y)
        self._dirty = None
        self._set_virtual_size(Size(width, y))

    def _set_virtual_size(self, size: Size) -> None:
        """Like assigning virtual_size, without its full-screen re-layout (a new height changes only this
        widget's scrollbar), unless the scrollbar appears or goes."""
        if size == self.virtual_size:
            return
        shown = self.show_vertical_scrollbar
        self.set_reactive(ChatLog.virtual_size, size)
        self._scroll_update(size)
        self.refresh(layout=self.show_vertical_scrollbar != shown)

    def _update(self) -> None:
        self._scheduled = False
        if self._width() <= 0:
            return  # not laid out yet; on_resize comes back here
        before = (self.virtual_size, self.scroll_offset)
        self._relayout()
        self._draw_visible()
        if self._follow:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        if self._repaint or before != (self.virtual_size, self.scroll_offset):
            self._repaint = False  # new text waiting for the worker changes nothing on screen yet
            self.refresh()
        self._kick()

    # ----- drawing

    def look(self) -> tr.Look:
        if self._look is None:
            style = self.get_component_rich_style
            dark = getattr(self.app.current_theme, "dark", True)
            self._look = tr.Look(style("chat--user"), style("chat--notice"), style("chat--error"),
                                 style("chat--tool-running"), style("chat--tool-ok"), style("chat--tool-failed"),
                                 style("chat--tool-args"), "monokai" if dark else "default")
        return self._look

    def _draw_visible(self) -> None:
        """Draw the blocks on screen now (heights found on the way move what is below; the view keeps the line it
        showed, or the end while following), and give the worker a screen's worth above and below to draw ahead,
        so the next scroll finds them drawn."""
        self._relayout()  # positions may be stale when a scroll arrives between a change and its _update
        width, height = self._width(), max(1, self.scrollable_content_region.height)
        top = 0
        for _ in range(4):  # drawing changes heights, which can bring other blocks into view
            top = self.max_scroll_y if self._follow else round(self.scroll_y)
            index = max(0, bisect_right(self.starts, top) - 1)
            shift = 0
            changed = None
            while index < len(self.blocks) and self.starts[index] < top + height:
                block = self.blocks[index]
                if not block.ready(width) and self._drawable(block):
                    self._repaint = True
                    delta = block.store(tr.render_block(self._drawer, block, width, self.look()), width,
                                        block.version)
                    if delta:
                        changed = index if changed is None else changed
                        if self.starts[index] < top:
                            shift += delta
                elif not block.ready(width) and block.kind == "md" and block not in self._inflight:
                    self._queue.add(block)
                index += 1
            if changed is None:
                break
            self._dirty = changed if self._dirty is None else min(self._dirty, changed)
            self._relayout()
            if shift and not self._follow:
                self.scroll_to(y=self.scroll_y + shift, animate=False, immediate=True, force=True)
        for lo, hi in ((top - height, top), (top + height, top + 2 * height)):
            index = max(0, bisect_right(self.starts, max(0, lo)) - 1)
            while index < len(self.blocks) and self.starts[index] < hi:
                block = self.blocks[index]
                if block.kind == "md" and not block.ready(width) and block not in self._inflight:
                    self._queue.add(block)
                index += 1

    def _drawable(self, block: tr.Block) -> bool:
        """Whether the UI thread may draw `block` itself: short, and not waiting for the worker."""
        return ((block.kind != "md" or len(block.text) < SYNC_CHARS) and block not in self._queue
                and block not in self._inflight)

    def _kick(self) -> None:
        """Start the worker on queued blocks, unless it is busy or drew less than REDRAW_INTERVAL ago."""
        if self._drawing or not self._queue or self._width() <= 0 or not self.is_mounted:
            return
        wait = self._last_draw + REDRAW_INTERVAL - time.monotonic()
        if wait > 0:
            if self._timer is None:
                self._timer = self.set_timer(wait, self._timer_fired)
            return
        top = round(self.scroll_y)
        # Streaming text and blocks on screen first, then the ones drawn ahead.
        order = sorted(self._queue, key=lambda b: (not getattr(b.entry, "open", False),
                                                    abs(self.starts[min(b.entry.first, len(self.starts) - 1)] - top)))
        jobs = [(block, block.version, block.text) for block in order if block.kind == "md"]
        self._inflight = {block for block, _, _ in jobs}
        self._queue.clear()
        self._drawing = True
        self.run_worker(partial(self._draw, jobs, self._width(), self.look().code_theme), group="chat-draw")

    def _timer_fired(self) -> None:
        self._timer = None
        self._kick()

    async def _draw(self, jobs: list[tuple[tr.Block, int, str]], width: int, code_theme: str) -> None:
        console = self._drawer

        def draw_all() -> list[list[Strip]]:
            deadline = time.monotonic() + DRAW_BUDGET
            drawn = []
            for _, _, text in jobs:
                drawn.append(tr.render_markdown(console, text, width, code_theme))
                if time.monotonic() > deadline:
                    break
            return drawn

        try:
            drawings = await asyncio.to_thread(draw_all)
        finally:
            self._drawing, self._last_draw, self._inflight = False, time.monotonic(), set()
        self._queue.update(block for block, _, _ in jobs[len(drawings):])  # past the budget: next time
        if width != self._width():
            self._queue.update(block for block, _, _ in jobs)  # resized meanwhile: draw again
            self._mark(len(self.blocks))
            return
        top, before = round(self.scroll_y), (self.virtual_size, self.scroll_offset)
        shift, lines = 0, []
        for (block, version, _), strips in zip(jobs, drawings):
            entry = block.entry
            if entry.number >= len(self.entries) or self.entries[entry.number] is not entry:
                continue  # cleared meanwhile
            index = entry.first + entry.blocks.index(block)
            old = block.strips if block.width == width else None
            delta = block.store(strips, width, version)
            if version != block.version:
                self._queue.add(block)  # it changed while drawn: draw it again
            if delta and self.starts[index] < top:
                shift += delta
            if delta:
                self._dirty = index if self._dirty is None else min(self._dirty, index)
            lines.append((index, old))
        self._relayout()
        if self._follow:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        elif shift:
            self.scroll_to(y=self.scroll_y + shift, animate=False, immediate=True, force=True)
        if before != (self.virtual_size, self.scroll_offset):
            self.refresh()  # the view moved: every line changes
        else:  # only the lines that differ: a growing paragraph changes its last line or two
            for index, old in lines:
                top = self.starts[index] + self.blocks[index].gap
                new = self.blocks[index].strips or []
                for row, strip in enumerate(new):
                    if old is None or row >= len(old) or list(old[row]) != list(strip):
                        self.refresh_lines(top + row)
        self._kick()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self._width()
        number = scroll_y + y
        selection = self.text_selection
        strip = self._strip_at(number, width)
        key = (id(strip), number, scroll_x, width)
        if selection is None and (cached := self._lines.get(key)) is not None and cached[0] is strip:
            return cached[1]
        base = self.rich_style
        line = strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)
        if selection is not None:
            style = self.screen.get_component_rich_style("screen--selection")
            line = tr.selected(line, selection.get_span(number), style)
        line = line.apply_offsets(scroll_x, number)
        if selection is None:
            self._lines[key] = (strip, line)  # holding `strip` keeps its id from being reused
        return line

    def _strip_at(self, number: int, width: int) -> Strip:
        if self._dirty is not None:
            self._relayout()
        index = bisect_right(self.starts, number) - 1
        if not 0 <= index < len(self.blocks):
            return self._blank(width)
        block = self.blocks[index]
        if block.width != width and self._drawable(block):  # not drawn ahead (e.g. a jump): draw it now
            if block.store(tr.render_block(self._drawer, block, width, self.look()), width, block.version):
                self._mark(index)
        row = number - self.starts[index] - block.gap
        strips = block.strips if block.width == width else None
        if strips is None or not 0 <= row < len(strips):
            return self._blank(width)
        return strips[row]

    def _blank(self, width: int) -> Strip:
        if self._blank_strip.cell_length != width:
            self._blank_strip = Strip.blank(width)
        return self._blank_strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        last = len(self.starts) - 1 if selection.end is None else selection.end.y
        first = 0 if selection.start is None else selection.start.y
        width = self._width()
        lines = [""] * first + [self._strip_at(n, width).text.rstrip() for n in range(first, last + 1)]
        return selection.extract("\n".join(lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    # ----- events

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._follow = new >= self.max_scroll_y - 1
        if self._width() > 0:
            self._draw_visible()

    def on_resize(self, _event: events.Resize) -> None:
        self._mark(0)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._look = None
        self._lines.clear()
        for block in self.blocks:
            block.drawn = -1  # redrawn in the new colours as they come into view; heights stay
        self._repaint = True
        self._mark(len(self.blocks))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = bisect_right(self.starts, offset.y + round(self.scroll_y)) - 1
        if 0 <= index < len(self.blocks) and self.blocks[index].kind == "tool-title":
            entry = self.blocks[index].entry
            if isinstance(entry, tr.ToolEntry):
                self.toggle_tool(entry)

