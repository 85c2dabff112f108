"""The transcript's model: entries (prompts, notices, assistant markdown, tool calls) cut into blocks, the unit
the chat view measures, draws and caches; markdown is split so a streaming reply re-renders only its last block."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rich.console import Console, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.strip import Strip

from codetether.agent import events as ev
from codetether.tui.tool_summary import diff_stat, error_excerpt, subject

ARGS_PREVIEW = 897  # the seed shows this much of a call's arguments before "..."
OUTPUT_PREVIEW = 4000
FENCES = ("```", "~~~")


class Block:
    """One drawable piece: a markdown block, a prompt, a notice, a tool call's title or body part.

    `strips` are the rendered lines at `width` (None until drawn); `height` is known once drawn, estimated before.
    `gap` blank lines come first (spacing between entries and between markdown blocks)."""

    __slots__ = ("entry", "kind", "text", "gap", "strips", "width", "drawn", "measured", "version", "estimated")

    def __init__(self, entry: Entry, kind: str, text: str, gap: int = 0, estimated: bool = True):
        self.entry, self.kind, self.text, self.gap = entry, kind, text, gap
        self.estimated = estimated  # False: takes no room until drawn (streaming text appears when drawn)
        self.strips: list[Strip] | None = None  # the latest drawing, possibly of older text (shown until redrawn)
        self.width = 0
        self.drawn = -1  # the version `strips` were drawn from
        self.measured: tuple[int, int] | None = None  # (width, lines) of the last drawing, kept across restyles
        self.version = 0  # bumped when the text changes

    def height(self, width: int) -> int:
        if self.measured is not None and self.measured[0] == width:
            return self.gap + self.measured[1]
        if not self.estimated:
            return 0
        return self.gap + estimate_lines(self.text, width, self.kind == "md")

    def ready(self, width: int) -> bool:
        return self.strips is not None and self.width == width and self.drawn == self.version

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.version += 1

    def store(self, strips: list[Strip], width: int, version: int) -> int:
        """Keep a drawing of text `version`; returns the change in height it causes."""
        before = self.height(width)
        self.strips, self.width, self.drawn, self.measured = strips, width, version, (width, len(strips))
        return self.height(width) - before


@dataclass(eq=False)
class Entry:
    """One item of the transcript; `blocks` are what it draws, in order."""

    kind: str  # user | notice | error | assistant | tool
    text: str = ""
    blocks: list[Block] = field(default_factory=list)
    first: int = 0  # index of its first block in the chat's flat block list
    number: int = 0  # its position among the chat's entries


@dataclass(eq=False)
class AssistantEntry(Entry):
    """Markdown that may still be streaming: blocks before the last are final, the last may still grow."""

    closed: int = 0  # characters of `text` that belong to final blocks
    lead: int = 1  # blank lines before the first block
    open: bool = False  # the last block may still grow

    def feed(self, more: str, streaming: bool = False) -> int:
        """Append text; returns the index of the first block whose text changed or that is new."""
        self.text += more
        done, tail = split_blocks(self.text[self.closed:])
        pieces = [piece.strip("\n") for piece in done] + ([tail.strip("\n")] if tail.strip() else [])
        start = len(self.blocks) - (1 if self.open else 0)
        for number, piece in enumerate(pieces, start):
            if number < len(self.blocks):
                self.blocks[number].set_text(piece)  # the block that was open: same object, old drawing shown
            else:
                self.blocks.append(Block(self, "md", piece, 1 if number else self.lead, not streaming))
        self.closed += sum(len(piece) for piece in done)
        self.open = bool(tail.strip())
        return start


@dataclass(eq=False)
class ToolEntry(Entry):
    call_id: str = ""
    name: str = ""
    arguments: str = ""
    state: str = "running"  # running | ok | failed
    duration_ms: int = 0
    output: str = ""
    diff: str = ""
    expanded: bool = False

    def title(self) -> str:
        """The call's line: what it is about (command, file, pattern), its state, time and diff size."""
        arrow = "▼" if self.expanded else "▶"
        about = subject(self.name, self.arguments)
        label = f"{self.name}: {about}" if about else self.name
        if self.state == "running":
            return f"{arrow} ⚙ {label}  running…"
        stat = diff_stat(self.diff)
        return f"{arrow} {'✓' if self.state == 'ok' else '✗'} {label}  {self.duration_ms} ms" + (
            f"  {stat}" if stat else "")

    def rebuild(self) -> None:
        blocks = [Block(self, "tool-title", self.title())]
        if self.state == "failed" and self.output.strip():  # what went wrong, readable without expanding
            blocks.append(Block(self, "tool-error", error_excerpt(self.output)))
        if self.expanded:
            args = pretty_json(self.arguments)
            args = args if len(args) <= ARGS_PREVIEW else args[:ARGS_PREVIEW] + "..."
            if args:
                blocks.append(Block(self, "tool-args", args))
            if self.output:
                out = self.output
                blocks.append(Block(self, "tool-output", out if len(out) <= OUTPUT_PREVIEW
                                    else out[:OUTPUT_PREVIEW] + "\n..."))
            if self.diff:
                blocks.append(Block(self, "tool-diff", self.diff))
        self.blocks = blocks


def user_entry(text: str, first: bool) -> Entry:
    entry = Entry("user", text)
    entry.blocks = [Block(entry, "user", text, 0 if first else 1)]
    return entry


def notice_entry(text: str, kind: str) -> Entry:
    entry = Entry("error" if kind == "error" else "notice", text)
    entry.blocks = [Block(entry, entry.kind, text)]
    return entry


def tool_entry(event: ev.ToolCallStarted) -> ToolEntry:
    entry = ToolEntry("tool", call_id=event.call_id, name=event.name, arguments=event.arguments)
    entry.rebuild()
    return entry


def complete_tool(entry: ToolEntry, event: ev.ToolCallCompleted) -> None:
    entry.state = "ok" if event.success else "failed"
    entry.duration_ms = event.duration_ms
    entry.output = event.output
    diff = (event.metadata or {}).get("diff")
    entry.diff = diff if isinstance(diff, str) and diff.strip() else ""
    entry.rebuild()


def plain_text(entry: Entry) -> str:
    if isinstance(entry, ToolEntry):
        return "\n".join(filter(None, [entry.title(), pretty_json(entry.arguments), entry.output]))
    return entry.text


# ----- markdown blocks


def split_blocks(text: str) -> tuple[list[str], str]:
    """(final blocks, the open tail) of streaming markdown. Blocks end at a blank line outside a code fence; a
    block is final once the next one has begun with a line that is not indented (so list continuations stay)."""
    done: list[str] = []
    start = 0  # where the current block begins
    pos = 0
    fence: str | None = None
    blank_seen = False
    while pos < len(text):
        end = text.find("\n", pos)
        if end < 0:
            break  # an unfinished line belongs to the tail
        line = text[pos:end]
        stripped = line.lstrip()
        if fence is not None:
            if stripped.startswith(fence) and len(line) - len(stripped) <= 3:
                fence = None
        elif not stripped:
            blank_seen = pos > start
        else:
            if blank_seen and not line[0].isspace():
                done.append(text[start:pos])
                start = pos
            blank_seen = False
            marker = stripped[:3]
            if marker in FENCES and len(line) - len(stripped) <= 3:
                fence = marker
        pos = end + 1
    return done, text[start:]


def estimate_lines(text: str, width: int, markdown: bool) -> int:
    """Lines a block will take at `width`, before it is drawn: wrapped source lines, plus a fence's padding."""
    width = max(1, width - (2 if markdown else 0))
    lines = 0
    for line in text.split("\n"):
        lines += 1 + len(line) // width
    if markdown and text.lstrip().startswith(FENCES):
        lines += 2
    return lines


# ----- drawing (render_markdown runs in a worker thread; it touches no widget)


@dataclass(frozen=True)
class Look:
    """The styles the transcript draws with, resolved from the theme on the UI thread."""

    user: Style
    notice: Style
    error: Style
    running: Style
    ok: Style
    failed: Style
    args: Style
    code_theme: str


def make_console() -> Console:
    """A console for drawing off-screen (one per chat; Textual maps truecolor down for the terminal)."""
    import io

    return Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", legacy_windows=False,
                   markup=False, emoji=False, highlight=False, width=80)


def render_markdown(console: Console, text: str, width: int, code_theme: str) -> list[Strip]:
    lines = _lines(console, Markdown(text, code_theme=code_theme, hyperlinks=False), width)
    # Rich opens lists and tables with an empty line; blocks are spaced by their `gap` instead.
    while len(lines) > 1 and not lines[0].cell_length:
        lines.pop(0)
    return lines


def render_block(console: Console, block: Block, width: int, look: Look) -> list[Strip]:
    """Draw any block; markdown may also be drawn by render_markdown in a worker."""
    kind = block.kind
    if kind == "md":
        return render_markdown(console, block.text, width, look.code_theme)
    renderable: RenderableType
    if kind == "tool-diff":
        renderable = Syntax(block.text, "diff", theme="ansi_dark", word_wrap=True)
    elif kind == "tool-title":
        entry = block.entry
        style = {"running": look.running, "ok": look.ok, "failed": look.failed}[getattr(entry, "state", "ok")]
        renderable = Text(block.text, style=style, no_wrap=True, overflow="ellipsis")
    else:
        style = {"user": look.user, "notice": look.notice, "error": look.error, "tool-error": look.error,
                 "tool-args": look.args, "tool-output": Style()}[kind]
        renderable = Padding(Text(block.text, style=style), (0, 0, 0, 2)) if kind == "tool-error" else Text(
            block.text, style=style)
    return _lines(console, renderable, width)


def _lines(console: Console, renderable: RenderableType, width: int) -> list[Strip]:
    options = console.options.update(width=max(1, width), height=None)
    lines = [Strip(line) for line in console.render_lines(renderable, options, pad=False)]
    while len(lines) > 1 and not lines[-1].cell_length:
        lines.pop()  # trailing empty lines (a diff's last newline): spacing comes from `gap`
    return lines or [Strip([])]


def pretty_json(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False) if arguments else ""
    except (ValueError, TypeError):
        return arguments


def selected(strip: Strip, span: tuple[int, int] | None, style: Style) -> Strip:
    """`strip` with cells start..end (end -1: to the end) drawn in the selection style."""
    if span is None:
        return strip
    start, end = span
    end = strip.cell_length if end == -1 else end
    parts = [strip.crop(0, start), Strip(Segment.apply_style(strip.crop(start, end), post_style=style)),
             strip.crop(end)]
    return Strip.join(parts)

