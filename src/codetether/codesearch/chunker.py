"""Split a source file into chunks: one per function, class or method via tree-sitter, else line windows."""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WINDOW_LINES = 40
MAX_CHUNK_CHARS = 6000  # what is indexed of one chunk; the model reads far less anyway
MIN_GAP_LINES = 3  # top-level code between definitions worth its own chunk

# extension -> (grammar module, function returning the language capsule)
GRAMMARS: dict[str, tuple[str, str]] = {
    ".py": ("tree_sitter_python", "language"), ".pyi": ("tree_sitter_python", "language"),
    ".js": ("tree_sitter_javascript", "language"), ".jsx": ("tree_sitter_javascript", "language"),
    ".mjs": ("tree_sitter_javascript", "language"), ".cjs": ("tree_sitter_javascript", "language"),
    ".ts": ("tree_sitter_typescript", "language_typescript"), ".mts": ("tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tree_sitter_typescript", "language_tsx"),
    ".go": ("tree_sitter_go", "language"), ".rs": ("tree_sitter_rust", "language"),
    ".java": ("tree_sitter_java", "language"), ".rb": ("tree_sitter_ruby", "language"),
    ".c": ("tree_sitter_c", "language"), ".h": ("tree_sitter_c", "language"),
    ".cc": ("tree_sitter_cpp", "language"), ".cpp": ("tree_sitter_cpp", "language"),
    ".cxx": ("tree_sitter_cpp", "language"), ".hpp": ("tree_sitter_cpp", "language"),
    ".sh": ("tree_sitter_bash", "language"), ".bash": ("tree_sitter_bash", "language"),
}

# node type -> kind; containers also get their members chunked separately
DEFINITIONS: dict[str, str] = {
    "function_definition": "function", "function_declaration": "function", "function_item": "function",
    "generator_function_declaration": "function", "method_definition": "method", "method_declaration": "method",
    "constructor_declaration": "method", "method": "method", "singleton_method": "method",
    "class_definition": "class", "class_declaration": "class", "class_specifier": "class", "class": "class",
    "interface_declaration": "interface", "trait_item": "trait", "impl_item": "impl", "module": "module",
    "struct_item": "struct", "struct_specifier": "struct", "enum_item": "enum", "enum_declaration": "enum",
    "type_declaration": "type", "type_alias_declaration": "type",
}
CONTAINERS = {"class", "interface", "trait", "impl", "module"}
ARROW_VALUES = {"arrow_function", "function_expression", "function"}


@dataclass
class Chunk:
    path: str  # relative to the index root, with '/'
    name: str
    kind: str
    start: int  # 1-based, inclusive
    end: int
    text: str  # what gets indexed (the header only, for a container)


@functools.cache
def _parser(module: str, attribute: str) -> Any:
    from tree_sitter import Language, Parser

    grammar = importlib.import_module(module)
    return Parser(Language(getattr(grammar, attribute)()))


def parser_for(path: str) -> Any | None:
    """A tree-sitter parser for this file type, or None when no grammar is installed for it."""
    spec = GRAMMARS.get(Path(path).suffix.lower())
    if spec is None:
        return None
    try:
        return _parser(*spec)
    except (ImportError, AttributeError, ValueError, TypeError):
        return None


def chunk_file(path: str, source: bytes) -> list[Chunk]:
    """Chunks of one file; symbol-aware where a grammar exists, otherwise fixed line windows."""
    text = source.decode("utf-8", "replace")
    lines = text.splitlines()
    parser = parser_for(path)
    if parser is None:
        return _windows(path, lines, 1, len(lines), "lines")
    tree = parser.parse(source)
    chunks: list[Chunk] = []
    _collect(tree.root_node, source, path, lines, chunks, inside=None)
    covered = [False] * (len(lines) + 2)
    for chunk in chunks:
        for n in range(chunk.start, chunk.end + 1):
            covered[n] = True
    # Top-level code outside any definition (scripts, constants, routes) still deserves to be found.
    run_start = None
    for n in range(1, len(lines) + 2):
        if n <= len(lines) and not covered[n]:
            run_start = run_start or n
        elif run_start is not None:
            body = [ln for ln in lines[run_start - 1:n - 1] if ln.strip()]
            if len(body) >= MIN_GAP_LINES:
                chunks.extend(_windows(path, lines, run_start, n - 1, "module"))
            run_start = None
    chunks.sort(key=lambda c: (c.start, -c.end))
    return chunks


def _collect(node: Any, source: bytes, path: str, lines: list[str], out: list[Chunk], inside: str | None) -> None:
    for child in node.named_children:
        kind = DEFINITIONS.get(child.type)
        target = child
        if child.type == "decorated_definition":
            inner = child.child_by_field_name("definition")
            kind = DEFINITIONS.get(inner.type) if inner is not None else None
            target = inner or child
        name = _name(target, source) if kind else None
        if kind is None:
            name = _arrow_name(child, source)
            kind = "function" if name else None
        if kind and name is None and kind in CONTAINERS | {"struct", "enum"}:
            name = ""  # e.g. an anonymous struct
        if kind is None or name is None:
            _collect(child, source, path, lines, out, inside)
            continue
        if kind == "function" and inside in CONTAINERS:
            kind = "method"
        start, end = child.start_point[0] + 1, child.end_point[0] + 1
        if kind in CONTAINERS or kind in ("struct", "enum"):
            before = len(out)
            _collect(target, source, path, lines, out, kind)
            members = out[before:]
            header_end = min((m.start for m in members), default=end + 1) - 1
            body = "\n".join(lines[start - 1:max(header_end, start)])
            out.insert(before, Chunk(path, name, kind, start, end, body[:MAX_CHUNK_CHARS]))
        else:
            body = "\n".join(lines[start - 1:end])
            out.append(Chunk(path, name, kind, start, end, body[:MAX_CHUNK_CHARS]))


def _name(node: Any, source: bytes) -> str | None:
    named = node.child_by_field_name("name")
    if named is None and node.type == "type_declaration":
        spec = next((c for c in node.named_children if c.type == "type_spec"), None)
        named = spec.child_by_field_name("name") if spec is not None else None
    if named is None and node.type == "impl_item":
        named = node.child_by_field_name("type")
    if named is None:
        # C and C++ bury the name in a chain of declarators.
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.child_by_field_name("declarator") is not None:
            declarator = declarator.child_by_field_name("declarator")
        named = declarator
    if named is None:
        return None
    return source[named.start_byte:named.end_byte].decode("utf-8", "replace")


def _arrow_name(node: Any, source: bytes) -> str | None:
    """`const handler = (req) => ...` is a function named handler."""
    if node.type not in ("lexical_declaration", "variable_declaration"):
        return None
    for declarator in node.named_children:
        value = declarator.child_by_field_name("value")
        name = declarator.child_by_field_name("name")
        if value is not None and name is not None and value.type in ARROW_VALUES:
            return source[name.start_byte:name.end_byte].decode("utf-8", "replace")
    return None


def _windows(path: str, lines: list[str], first: int, last: int, kind: str) -> list[Chunk]:
    chunks = []
    name = Path(path).name
    for start in range(first, last + 1, WINDOW_LINES):
        end = min(start + WINDOW_LINES - 1, last)
        body = "\n".join(lines[start - 1:end])
        if body.strip():
            chunks.append(Chunk(path, name, kind, start, end, body[:MAX_CHUNK_CHARS]))
    return chunks


def embedding_text(path: str, name: str, kind: str, text: str) -> str:
    """What the model reads for a chunk: its name as words, where it lives, then the code."""
    words = " ".join(document_words(name))
    return f"{kind} {words} ({path})\n{text}"


def document_words(name: str) -> list[str]:
    from codetether.codesearch.bm25 import _PART

    return [p.lower() for piece in name.split("_") for p in _PART.findall(piece)]


# What the re-ranking transformer reads of a chunk (rerank.py): it reads only its first few dozen tokens, so the
# words that say what a definition does come first. With the file's path and a type-annotated signature first,
# 48 tokens seldom reached the docstring: recall@5 on bench/codesearch.py's 64 questions went from 44 to 48. Line
# windows (modules, markdown) get the same layout: their leading comments or headings come first.
SIGNATURE_LINES = 12  # a definition's header ends within this many lines, else its first line is taken
_HEADER_END = (":", "{", "=>")
_DOCSTRING = re.compile(r'\s*[rRbBuU]?("""|\'\'\')(.*?)(\1|$)', re.S)
_COMMENT = re.compile(r"\s*(#|//+|/\*+|\*+|--)\s?")
_ANNOTATION = re.compile(r"(\w)\s*:\s*[^,=)]+")  # `name: type` -> `name`, in the signature only
_RETURNS = re.compile(r"\)\s*->[^:]*:")


def reading_text(path: str, name: str, kind: str, text: str) -> str:
    """A chunk for the transformer to read: its name as words, its file's folder and name, its docstring (or the
    comment that opens it), then its signature without type annotations, then the rest of the code."""
    parts = path.rsplit(".", 1)[0].split("/")[-2:]
    head = f"{kind} {' '.join(document_words(name))} ({' '.join(p.replace('_', ' ') for p in parts)}):"
    signature, doc, body = _split_definition(text)
    signature = _RETURNS.sub("):", _ANNOTATION.sub(r"\1", signature))
    return f"{head} {doc}\n{signature}\n{body}"


def _split_definition(text: str) -> tuple[str, str, str]:
    """(signature, docstring or leading comment on one line, the rest) of a definition's text."""
    lines = text.split("\n")
    end = next((n + 1 for n, line in enumerate(lines[:SIGNATURE_LINES]) if line.rstrip().endswith(_HEADER_END)),
               1)
    above = [line for line in lines[:end] if _COMMENT.match(line)]  # a comment block or decorator-side comments
    signature = "\n".join(line for line in lines[:end] if not _COMMENT.match(line))
    rest = lines[end:]
    doc_lines = []
    docstring = _DOCSTRING.match("\n".join(rest))
    if docstring:
        doc_lines, body = [docstring.group(2)], "\n".join(rest)[docstring.end():]
    else:
        taken = 0
        while taken < len(rest) and _COMMENT.match(rest[taken]):
            taken += 1
        doc_lines, body = rest[:taken], "\n".join(rest[taken:])
    doc = " ".join(_COMMENT.sub("", line, count=1) for line in [*above, *doc_lines])
    return signature, " ".join(doc.split()), body
