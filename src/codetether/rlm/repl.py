"""The restricted command interpreter: model text is parsed with `ast`, never executed; only whitelisted
commands with literal arguments (and commands nested as arguments) run, against the loaded context."""

from __future__ import annotations

import ast
import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from codetether.rlm.chunker import Chunk, chunk_context
from codetether.rlm.context import RlmContext
from codetether.rlm.regex_guard import PatternRefused, compile_safe, windows

MAX_COMMANDS = 10  # per model response
MAX_LINES = 1_200
MAX_GREP_RESULTS = 200
GREP_SECONDS = 20.0  # a scan that takes longer stops and says it is partial
MAX_VALUE_CHARS = 2_000_000  # what one command may hand to another (llm_query cuts it to its window anyway)
LINE_CHARS = 300  # one matching line as grep shows it
CONTINUABLE = ("was never closed", "unterminated triple-quoted", "unexpected EOF")
FENCE = re.compile(r"```[\w-]*\n(.*?)```", re.DOTALL)
CALL_START = re.compile(r"^\s*[A-Za-z_][\w.]*\s*\(")  # attribute calls too, so they get refused aloud

# name -> ((parameter, type, default or REQUIRED), ...); bool is refused although it is an int.
REQUIRED = object()
SIGNATURES: dict[str, tuple[tuple[str, type, Any], ...]] = {
    "head": (("n", int, 10),), "tail": (("n", int, 10),),
    "grep": (("pattern", str, REQUIRED), ("max_results", int, 50)), "count": (("pattern", str, REQUIRED),),
    "slice": (("start", int, REQUIRED), ("end", int, REQUIRED)), "lines": (("start", int, REQUIRED),
                                                                           ("end", int, REQUIRED)),
    "chunks": (), "chunk": (("index", int, REQUIRED),),
    "llm_query": (("question", str, REQUIRED), ("text", str, "")), "FINAL": (("answer", (str, int), REQUIRED),),
}
NESTABLE = {"head", "tail", "grep", "slice", "lines", "chunk", "llm_query"}
USAGE = ('Reply with commands, one per line or in a ``` block, e.g. count("ERROR"), grep("ERROR.*timeout"), '
         'lines(10, 40), llm_query("what failed?", lines(10, 40)) or FINAL("the answer").')


class CommandError(Exception):
    """A command the model has to fix; the message goes back to it."""


@dataclass
class Final:
    answer: str


@dataclass
class SubQuery:
    query: str
    context_slice: str  # the expression that produced the text, e.g. "slice(0, 5000)"
    context_chars: int
    response: str
    tokens_used: int


@dataclass
class Parsed:
    source: str
    tree: ast.Expression | None = None
    error: str | None = None


# (question, text) -> (answer, tokens used, note for the root model or "")
SubQueryFn = Callable[[str, str], Awaitable[tuple[str, int, str]]]


def parse_commands(text: str) -> list[Parsed]:
    """Commands from fenced blocks if there are any, else from lines that look like calls; prose is skipped."""
    blocks = FENCE.findall(text)
    lines = "\n".join(blocks).split("\n") if blocks else text.split("\n")
    out: list[Parsed] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line or line.startswith("#") or (not blocks and not CALL_START.match(line)):
            i += 1
            continue
        buffer, j = line, i
        while True:
            try:
                out.append(Parsed(buffer, ast.parse(buffer, mode="eval")))
                i = j + 1
                break
            except SyntaxError as exc:
                if j + 1 < len(lines) and j - i < 200 and any(c in str(exc.msg) for c in CONTINUABLE):
                    j += 1
                    buffer += "\n" + lines[j]
                    continue
                out.append(Parsed(line, error=f"could not parse {line[:200]!r}: {exc.msg}. {USAGE}"))
            except (RecursionError, MemoryError, ValueError):  # the parser's own limits on pathological input
                out.append(Parsed(line, error=f"could not parse {line[:200]!r}: it is nested too deeply. {USAGE}"))
            i += 1
            break
    return out


def check(node: ast.AST, depth: int = 0) -> None:
    """Allow only `command(literal, ...)`, with commands nested as arguments; anything else is refused."""
    if not isinstance(node, ast.Call):
        what = ("names" if isinstance(node, ast.Name) else "attribute access" if isinstance(node, ast.Attribute)
                else f"{type(node).__name__} expressions")
        raise CommandError(f"{what} are not allowed; only command calls. {USAGE}")
    if isinstance(node.func, ast.Attribute):
        raise CommandError("attribute access (x.y) is not allowed; call a command by name. " + USAGE)
    if not isinstance(node.func, ast.Name) or node.func.id not in SIGNATURES:
        name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)[:40]
        raise CommandError(f"unknown command '{name}'; the commands are: {', '.join(SIGNATURES)}")
    if depth and node.func.id not in NESTABLE:
        raise CommandError(f"{node.func.id}() cannot be used as an argument; it does not return text")
    if depth > 3:
        raise CommandError("commands nest at most 3 deep")
    for arg in [*node.args, *(k.value for k in node.keywords)]:
        if isinstance(arg, ast.Call):
            check(arg, depth + 1)
        elif not _literal(arg):
            raise CommandError(f"arguments of {node.func.id}() must be string or integer literals or commands, not "
                               f"{ast.unparse(arg)[:60]!r}")
    if any(k.arg is None for k in node.keywords):
        raise CommandError("**keyword unpacking is not allowed")


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
        return isinstance(node, ast.Constant) and type(node.value) is int
    return isinstance(node, ast.Constant) and type(node.value) in (str, int)


@dataclass
class Interpreter:
    ctx: RlmContext
    sub_query: SubQueryFn | None = None
    max_subcalls: int = 50
    result_chars: int = 6_000
    sub_queries: list[SubQuery] = field(default_factory=list)
    _chunk_cache: list[Chunk] | None = field(default=None, init=False, repr=False)

    async def run(self, response_text: str) -> tuple[list[str], Final | None]:
        """Execute the commands in one model response; each result (or error) is a block for the model."""
        parsed = parse_commands(response_text)
        if not parsed:
            return [f"ERROR: no command found in your reply. {USAGE}"], None
        results = []
        for n, item in enumerate(parsed[:MAX_COMMANDS], 1):
            head = f"[{n}] {item.source[:300]}"
            try:
                if item.error:
                    raise CommandError(item.error)
                assert item.tree is not None
                check(item.tree.body)
                value = await self.evaluate(item.tree.body)
            except CommandError as exc:
                results.append(f"{head}\nERROR: {exc}")
                continue
            if isinstance(value, Final):
                return results, value
            results.append(f"{head}\n{self.cap(value)}")
        if len(parsed) > MAX_COMMANDS:
            results.append(f"(only the first {MAX_COMMANDS} commands were run)")
        return results, None

    async def evaluate(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        values = [await self._value(a) for a in node.args]
        keywords = {k.arg: await self._value(k.value) for k in node.keywords if k.arg}
        args = _bind(name, values, keywords)
        if name == "FINAL":
            return Final(str(args[0]))
        if name == "llm_query":
            text_node = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "text"), None)
            return await self._llm_query(args[0], args[1], ast.unparse(text_node) if text_node else "")
        # Scans of a large context are CPU work; a thread keeps the event loop (and an agent's UI) responsive.
        return await asyncio.to_thread(getattr(self, f"_{name}"), *args)

    async def _value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Call):
            value = await self.evaluate(node)
            return value[:MAX_VALUE_CHARS] if isinstance(value, str) else value
        return ast.literal_eval(node)

    def cap(self, text: str) -> str:
        if len(text) <= self.result_chars:
            return text
        cut = text.rfind("\n", 0, self.result_chars)
        cut = cut if cut > self.result_chars // 2 else self.result_chars
        return (f"{text[:cut]}\n[result cut: showing {cut:,} of {len(text):,} chars; narrow it with lines(a, b), "
                "a tighter grep, or ask llm_query about it]")

    def _head(self, n: int) -> str:
        return "\n".join(self.ctx.lines[:max(0, min(n, MAX_LINES))])

    def _tail(self, n: int) -> str:
        n = max(0, min(n, MAX_LINES))
        return "\n".join(self.ctx.lines[-n:]) if n else ""

    def _slice(self, start: int, end: int) -> str:
        return self.ctx.text[start:end]

    def _lines(self, start: int, end: int) -> str:
        total = len(self.ctx.lines)
        if start < 1 or end < start:
            raise CommandError(f"lines(start, end) takes 1-based line numbers with start <= end; the context has "
                               f"{total:,} lines")
        end = min(end, start + MAX_LINES - 1, total)
        return "\n".join(self.ctx.lines[start - 1:end])

    def _scan(self, pattern: str) -> tuple[re.Pattern[str], float]:
        try:
            return compile_safe(pattern), time.monotonic() + GREP_SECONDS
        except PatternRefused as exc:
            raise CommandError(str(exc)) from None

    def _grep(self, pattern: str, max_results: int) -> str:
        rx, deadline = self._scan(pattern)
        limit = max(1, min(max_results, MAX_GREP_RESULTS))
        shown, matched, lines = [], 0, self.ctx.lines
        for i, line in enumerate(lines):
            if not i % 20_000 and time.monotonic() > deadline:
                shown.append(f"[scan stopped at line {i:,} of {len(lines):,} after {GREP_SECONDS:.0f} s; "
                             "use a simpler pattern]")
                break
            if any(rx.search(w) for w in windows(line)):
                matched += 1
                if len(shown) < limit:
                    text = line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + " …"
                    shown.append(f"{i + 1}: {text}")
        more = f" (showing the first {limit})" if matched > limit else ""
        return f"{matched:,} matching lines{more}\n" + "\n".join(shown)

    def _count(self, pattern: str) -> str:
        rx, deadline = self._scan(pattern)
        occurrences = matched = 0
        for i, line in enumerate(self.ctx.lines):
            if not i % 20_000 and time.monotonic() > deadline:
                return f"scan stopped after {GREP_SECONDS:.0f} s at line {i:,}: {occurrences:,} so far"
            found = sum(len(rx.findall(w)) for w in windows(line))
            if found:
                occurrences += found
                matched += 1
        return f"{occurrences:,} matches on {matched:,} lines"

    def chunk_list(self) -> list[Chunk]:
        if self._chunk_cache is None:
            self._chunk_cache = chunk_context(self.ctx)
        return self._chunk_cache

    def _chunks(self) -> str:
        chunks = self.chunk_list()
        rows = [f"{c.index}: lines {c.start_line}-{c.end_line}, ~{c.tokens} tokens{' ' + c.label if c.label else ''}"
                for c in chunks[:200]]
        more = f"\n(… {len(chunks) - 200} more; chunk(i) gives one)" if len(chunks) > 200 else ""
        return f"{len(chunks)} {self.ctx.content_type} chunks:\n" + "\n".join(rows) + more

    def _chunk(self, index: int) -> str:
        chunks = self.chunk_list()
        if not 0 <= index < len(chunks):
            raise CommandError(f"chunk index {index} is out of range 0..{len(chunks) - 1}")
        return chunks[index].text(self.ctx)

    async def _llm_query(self, question: str, text: str, source: str) -> str:
        if self.sub_query is None:
            raise CommandError("llm_query is not available here")
        if len(self.sub_queries) >= self.max_subcalls:
            raise CommandError(f"the sub-query budget ({self.max_subcalls}) is used up; answer with FINAL(...)")
        answer, tokens, note = await self.sub_query(question, text)
        self.sub_queries.append(SubQuery(question, source, len(text), answer, tokens))
        return answer + (f"\n[{note}]" if note else "")


def _bind(name: str, values: list[Any], keywords: dict[str, Any]) -> list[Any]:
    params = SIGNATURES[name]
    if len(values) > len(params):
        raise CommandError(f"{name}() takes at most {len(params)} argument(s): {_sig(name)}")
    bound = []
    for i, (param, kind, default) in enumerate(params):
        value = values[i] if i < len(values) else keywords.pop(param, default)
        if value is REQUIRED:
            raise CommandError(f"{name}() needs '{param}': {_sig(name)}")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CommandError(f"'{param}' of {name}() must be {_type_name(kind)}: {_sig(name)}")
        bound.append(value)
    if keywords:
        raise CommandError(f"{name}() has no parameter {', '.join(map(repr, keywords))}: {_sig(name)}")
    return bound


def _sig(name: str) -> str:
    return f"{name}({', '.join(p for p, _, _ in SIGNATURES[name])})"


def _type_name(kind: Any) -> str:
    return "a string or an integer" if isinstance(kind, tuple) else {str: "a string", int: "an integer"}[kind]
