"""Chunking follows the content: symbols for code, time windows for logs, turns, sections."""

from __future__ import annotations

from codetether.rlm.chunker import chunk_context
from codetether.rlm.context import RlmContext, wrap_file
from tests.rlm.test_detect import DOCUMENT


def _covers_every_line_once(ctx, chunks):
    assert chunks[0].start_line == 1 and chunks[-1].end_line == len(ctx.lines)
    for a, b in zip(chunks, chunks[1:]):
        assert b.start_line == a.end_line + 1


def _functions(n: int, body_lines: int = 6) -> str:
    return "".join(f"def handler_{i}(request):\n" + "".join(f"    step_{j} = request.get('k{j}')\n"
                                                             for j in range(body_lines)) + "\n" for i in range(n))


def test_code_chunks_start_at_symbols_with_tree_sitter():
    ctx = RlmContext.build(wrap_file("svc/handlers.py", _functions(60)), "code")
    chunks = chunk_context(ctx, max_tokens=300)
    _covers_every_line_once(ctx, chunks)
    assert len(chunks) > 3 and all(c.kind == "code" and c.tokens <= 300 for c in chunks)
    for chunk in chunks[1:]:
        assert ctx.lines[chunk.start_line - 1].startswith("def handler_"), chunk
    assert "function handler_" in chunks[1].label


def test_code_without_a_known_language_uses_the_definition_splitter():
    source = "".join(f"fn item_{i}() -> u32 {{\n" + "    let x = 1;\n" * 8 + "    x\n}\n\n" for i in range(40))
    ctx = RlmContext.build(source, "code")  # stdin: no file name, so no grammar
    chunks = chunk_context(ctx, max_tokens=200)
    _covers_every_line_once(ctx, chunks)
    assert len(chunks) > 3
    for chunk in chunks[1:]:
        assert ctx.lines[chunk.start_line - 1].startswith("fn item_")


def test_log_chunks_are_time_windows_that_keep_stack_traces_whole():
    lines = []
    for minute in range(30):
        for second in range(0, 60, 5):
            lines.append(f"2024-05-01T09:{minute:02d}:{second:02d}Z INFO request served in 12ms")
        lines.append(f"2024-05-01T09:{minute:02d}:59Z ERROR crash")
        lines += ["Traceback (most recent call last):", '  File "app.py", line 3', "ValueError: bad"]
    ctx = RlmContext.build("\n".join(lines) + "\n")
    assert ctx.content_type == "logs"
    chunks = chunk_context(ctx, max_tokens=400)
    _covers_every_line_once(ctx, chunks)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.kind == "logs" and chunk.tokens <= 400
        assert ctx.lines[chunk.start_line - 1].endswith(":00Z INFO request served in 12ms")  # a minute starts
        assert "2024-05-01 09:" in chunk.label and "…" in chunk.label


def test_conversation_chunks_never_split_a_turn():
    chat = "".join(f"User: question {i}\nwith a second line\nAssistant: answer {i}\n- detail one\n- detail two\n"
                   for i in range(30))
    ctx = RlmContext.build(chat)
    chunks = chunk_context(ctx, max_tokens=120)
    _covers_every_line_once(ctx, chunks)
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.kind == "conversation"
        assert ctx.lines[chunk.start_line - 1].startswith(("User:", "Assistant:"))


def test_document_chunks_follow_sections_and_split_long_ones_at_paragraphs():
    long_section = "## Details\n\n" + "".join(f"Paragraph {i} explains one more detail of the system in plain "
                                              f"words for the reader.\n\n" for i in range(60))
    ctx = RlmContext.build(DOCUMENT + long_section)
    assert ctx.content_type == "documents"
    chunks = chunk_context(ctx, max_tokens=300)
    _covers_every_line_once(ctx, chunks)
    assert ctx.lines[chunks[0].start_line - 1] == "# Installation Guide"
    starts = [ctx.lines[c.start_line - 1] for c in chunks]
    assert "## Details" in starts
    assert all(c.tokens <= 300 for c in chunks)
    details = starts.index("## Details")
    assert all(s.startswith("Paragraph") for s in starts[details + 1:])  # cut at blank lines, not mid-paragraph


def test_single_huge_line_still_gets_a_chunk():
    ctx = RlmContext.build("x" * 50_000, "documents")
    chunks = chunk_context(ctx, max_tokens=1000)
    assert len(chunks) == 1 and chunks[0].tokens > 1000
