"""The on-disk index of one project: chunks, BM25 tokens and embeddings, refreshed by mtime, size and hash."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.codesearch.bm25 import BM25, document_tokens
from codetether.codesearch.chunker import chunk_file
from codetether.codesearch.embed import MODEL_NAME, get_embedder, unavailable_reason
from codetether.config.paths import data_dir
from codetether.tool.fsutil import atomic_write, is_binary
from codetether.tool.ignore import IgnoreMatcher, walk_files

INDEX_VERSION = 1
MAX_FILES = 10_000
MAX_FILE_BYTES = 512 * 1024
RRF_K = 60
EMBED_BUDGET_SECS = 20.0  # per refresh; a big repository gets its vectors over several searches
CODE_SUFFIXES = frozenset("""
.py .pyi .js .jsx .mjs .cjs .ts .tsx .mts .go .rs .java .kt .kts .scala .rb .php .c .h .cc .cpp .cxx .hpp .cs
.swift .m .sh .bash .zsh .lua .pl .r .jl .ex .exs .erl .hs .ml .clj .dart .sql .proto .graphql .vue .svelte
.html .css .scss .md .rst .txt .toml .yaml .yml .ini .cfg .json .tf .nix .zig
""".split())
SKIP_NAMES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "poetry.lock",
                        "uv.lock", "go.sum", "composer.lock", "Gemfile.lock"})
SKIP_DIRS = frozenset({"node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache",
                       ".ruff_cache", ".tox", ".nox", ".idea", ".vscode"})


def index_directory(root: Path) -> Path:
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return data_dir() / "codesearch" / digest


@dataclass
class RefreshStats:
    files: int = 0
    chunks: int = 0
    changed_files: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    capped: bool = False
    pending_chunks: int = 0  # chunks still waiting for a vector (keyword-ranked until then)
    dirty: bool = False  # anything to write back (new, changed, touched or removed files)


@dataclass
class Hit:
    path: str
    name: str
    kind: str
    start: int
    end: int
    score: float
    bm25_rank: int | None
    dense_rank: int | None


@dataclass
class _File:
    mtime_ns: int
    size: int
    sha1: str
    chunks: list[dict[str, Any]]  # name, kind, start, end, tokens
    vectors: Any = None  # numpy rows, one per chunk; None without embeddings or while still pending


class _Matcher(IgnoreMatcher):
    def ignored(self, path: Path, is_dir: bool) -> bool:
        if is_dir and (path.name in SKIP_DIRS or (path / "pyvenv.cfg").exists()):
            return True  # dependencies and virtualenvs, even when no .gitignore names them
        return super().ignored(path, is_dir)


@dataclass
class CodeIndex:
    root: Path
    directory: Path
    files: dict[str, _File] = field(default_factory=dict)
    model: str | None = None
    dense_note: str | None = None  # why semantic ranking is off, when it is

    @classmethod
    def open(cls, root: Path) -> CodeIndex:
        index = cls(root, index_directory(root))
        index._load()
        return index

    def refresh(self) -> RefreshStats:
        """Bring the index up to date with the files on disk; only changed files are chunked and embedded."""
        started = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process refreshing the same project waits its turn
            self._load()
            stats = self._refresh()
            if stats.dirty:
                self._save()
        stats.seconds = time.monotonic() - started
        return stats

    def _refresh(self) -> RefreshStats:
        self.dense_note = unavailable_reason()
        model = None if self.dense_note else MODEL_NAME
        if model != self.model:
            self.files = {}  # embeddings appeared or went away: rebuild everything once
            self.model = model
        stats = RefreshStats()
        current: dict[str, _File] = {}
        pending: list[tuple[str, list[Any]]] = []
        for path in walk_files(self.root, _Matcher(self.root)):
            if path.suffix.lower() not in CODE_SUFFIXES or path.name in SKIP_NAMES:
                continue
            if len(current) >= MAX_FILES:
                stats.capped = True
                break
            try:
                info = path.stat()
            except OSError:
                continue
            if info.st_size > MAX_FILE_BYTES:
                continue
            rel = path.relative_to(self.root).as_posix()
            old = self.files.get(rel)
            if old and old.mtime_ns == info.st_mtime_ns and old.size == info.st_size:
                current[rel] = old
                if model and old.vectors is None and old.chunks:
                    pending.append((rel, None))
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if is_binary(data[:8192]):
                continue
            sha1 = hashlib.sha1(data).hexdigest()
            if old and old.sha1 == sha1:  # touched but unchanged: keep its chunks and vectors
                current[rel] = _File(info.st_mtime_ns, info.st_size, sha1, old.chunks, old.vectors)
                stats.dirty = True
                if model and old.vectors is None and old.chunks:
                    pending.append((rel, None))
                continue
            chunks = chunk_file(rel, data)
            entry = _File(info.st_mtime_ns, info.st_size, sha1, [
                {"name": c.name, "kind": c.kind, "start": c.start, "end": c.end,
                 "tokens": document_tokens(rel, c.name, c.text)} for c in chunks])
            current[rel] = entry
            stats.changed_files += 1
            if model:
                pending.append((rel, chunks))
        if pending:
            stats.embedded_chunks = self._embed(current, pending)
            stats.pending_chunks = sum(len(f.chunks) for f in current.values() if f.vectors is None)
        stats.dirty = (stats.dirty or stats.changed_files > 0 or stats.embedded_chunks > 0
                       or set(current) != set(self.files))
        self.files = current
        stats.files = len(current)
        stats.chunks = sum(len(f.chunks) for f in current.values())
        return stats

    def _embed(self, files: dict[str, _File], pending: list[tuple[str, list[Any] | None]]) -> int:
        """Embed pending files a batch at a time until the time budget is spent; the rest wait."""
        deadline = time.monotonic() + EMBED_BUDGET_SECS
        embedder = get_embedder()
        done = 0
        for start in range(0, len(pending), 16):
            if time.monotonic() > deadline:
                break
            group = []
            for rel, chunks in pending[start:start + 16]:
                if chunks is None:  # kept from an earlier, unfinished run: chunk it again from disk
                    try:
                        chunks = chunk_file(rel, (self.root / rel).read_bytes())
                    except OSError:
                        continue
                    if len(chunks) != len(files[rel].chunks):
                        continue
                group.append((rel, chunks))
            texts = [embedding_text(c.path, c.name, c.kind, c.text) for _, chunks in group for c in chunks]
            vectors = embedder.embed(texts)
            row = 0
            for rel, chunks in group:
                files[rel].vectors = vectors[row:row + len(chunks)]
                row += len(chunks)
            done += len(texts)
        return done

    def search(self, query: str, limit: int, prefix: str = "", pattern: Any = None) -> list[Hit]:
        """The best chunks for a query: BM25 and cosine ranks fused by reciprocal rank fusion."""
        from codetether.codesearch.bm25 import tokenize

        entries = [(rel, chunk, i) for rel, f in sorted(self.files.items())
                   if _in_scope(rel, prefix, pattern) for i, chunk in enumerate(f.chunks)]
        if not entries:
            return []
        bm25 = BM25(chunk["tokens"] for _, chunk, _ in entries).scores(tokenize(query))
        bm25_order = sorted(bm25, key=lambda n: -bm25[n])
        ranks: dict[int, list[int | None]] = {n: [rank, None] for rank, n in enumerate(bm25_order, 1)}
        if self.model:
            import numpy as np

            missing = np.full(384, np.nan, dtype=np.float32)
            matrix = np.stack([missing if self.files[rel].vectors is None else self.files[rel].vectors[i]
                               for rel, _, i in entries])
            cosine = np.nan_to_num(matrix @ get_embedder().embed([query])[0], nan=-2.0)
            for rank, n in enumerate(np.argsort(-cosine, kind="stable")[: max(limit * 20, 200)], 1):
                if cosine[n] < -1.5:
                    break  # not embedded yet
                ranks.setdefault(int(n), [None, None])[1] = rank
        fused = {n: sum(1.0 / (RRF_K + r) for r in pair if r is not None) for n, pair in ranks.items()}
        best = sorted(fused, key=lambda n: (-fused[n], n))[:limit]
        return [Hit(entries[n][0], entries[n][1]["name"], entries[n][1]["kind"], entries[n][1]["start"],
                    entries[n][1]["end"], fused[n], ranks[n][0], ranks[n][1]) for n in best]

    # persistence: meta.json holds files and chunks; vectors-*.npy every chunk's vector in file order

    def _load(self) -> None:
        try:
            meta = json.loads((self.directory / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        if not meta or meta.get("version") != INDEX_VERSION or meta.get("root") != str(self.root):
            self.files, self.model = {}, None
            return
        vectors = None
        if meta.get("model") and meta.get("vectors"):
            try:
                import numpy as np

                vectors = np.load(self.directory / meta["vectors"])
            except (OSError, ValueError, ImportError):
                self.files, self.model = {}, None
                return
        files: dict[str, _File] = {}
        row = 0
        for rel, raw in meta["files"].items():
            count = len(raw["chunks"])
            rows = vectors[row:row + count] if vectors is not None and raw.get("embedded", True) else None
            files[rel] = _File(raw["mtime_ns"], raw["size"], raw["sha1"], raw["chunks"], rows)
            row += count
        self.files, self.model = files, meta.get("model")

    def _save(self) -> None:
        vectors_name = None
        if self.model:
            import numpy as np

            # Files still waiting for vectors hold zero rows and are listed as such in meta.json.
            rows = [np.zeros((len(f.chunks), 384), np.float32) if f.vectors is None else f.vectors
                    for f in self.files.values() if f.chunks]
            matrix = np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)
            vectors_name = f"vectors-{os.getpid()}-{time.time_ns()}.npy"
            buffer = io.BytesIO()
            np.save(buffer, matrix.astype(np.float32))
            atomic_write(self.directory / vectors_name, buffer.getvalue())
        meta = {"version": INDEX_VERSION, "root": str(self.root), "model": self.model, "vectors": vectors_name,
                "files": {rel: {"mtime_ns": f.mtime_ns, "size": f.size, "sha1": f.sha1, "chunks": f.chunks,
                                "embedded": f.vectors is not None} for rel, f in self.files.items()}}
        atomic_write(self.directory / "meta.json", json.dumps(meta, separators=(",", ":")))
        for old in self.directory.glob("vectors-*.npy"):
            if old.name != vectors_name:
                old.unlink(missing_ok=True)


def embedding_text(path: str, name: str, kind: str, text: str) -> str:
    """What the model reads for a chunk: its name as words, where it lives, then the code."""
    words = " ".join(document_words(name))
    return f"{kind} {words} ({path})\n{text}"


def document_words(name: str) -> list[str]:
    from codetether.codesearch.bm25 import _PART

    return [p.lower() for piece in name.split("_") for p in _PART.findall(piece)]


def _in_scope(rel: str, prefix: str, pattern: Any) -> bool:
    if prefix and rel != prefix and not rel.startswith(prefix.rstrip("/") + "/"):
        return False
    return pattern is None or bool(pattern.fullmatch(rel))
