"""The on-disk index of one project: chunks with BM25 tokens and static embeddings, refreshed by mtime, size and
hash. Keyword ranking works as soon as files are chunked; vectors fill in within a small time budget per refresh
and then in a background thread, and only chunks whose text changed are embedded again."""

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

from codetether.codesearch.bm25 import document_tokens
from codetether.codesearch.chunker import Chunk, chunk_file, embedding_text, reading_text
from codetether.codesearch.embed import unavailable_reason
from codetether.codesearch.rerank import DEPTH, read_query, rerank
from codetether.codesearch.sources import candidates
from codetether.codesearch.static import MODEL_NAME
from codetether.config.paths import data_dir
from codetether.sandbox import beneath
from codetether.tool.support.fsutil import atomic_write, is_binary

INDEX_VERSION = 2
MAX_FILES = 10_000
RRF_K = 60
# The static vectors' say in the first stage against BM25's (1), read with the query's static vector and with
# its transformer vector: at half weight each, the top 30 holds 102 of bench/codesearch.py's 114 answers (BM25 and
# the static query alone at 1: 100), and re-ranked the tool finds 95 in its top 5 (93).
STATIC_WEIGHT = 0.5
MODEL_QUERY_WEIGHT = 0.5
DENSE_DEPTH = 200  # each meaning-based ranking's say ends here (whatever the limit, so a search ranks alike for any)
EMBED_BUDGET_SECS = 1.0  # embedding done inside a search's refresh; the rest goes on in the background
BACKGROUND_SLICE_SECS = 1.0  # how long one background pass holds the index lock
EMBED_BATCH = 256  # chunks encoded together

def index_directory(root: Path) -> Path:
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return data_dir() / "codesearch" / digest


@dataclass
class RefreshStats:
    files: int = 0
    chunks: int = 0
    changed_files: int = 0
    embedded_chunks: int = 0  # chunks whose vector was computed in this refresh
    reused_chunks: int = 0  # chunks of changed files whose text (and so vector) did not change
    seconds: float = 0.0
    capped: bool = False
    pending_chunks: int = 0  # chunks still waiting for a vector (keyword-ranked until then)
    distilled_tokens: int = 0  # vocabulary tokens the static model learnt on the way (once per machine)
    dirty: bool = False  # anything to write back


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
    model_rank: int | None = None  # among the re-ranked best few, by the transformer (None: not re-ranked)


@dataclass
class _File:
    mtime_ns: int
    size: int
    sha1: str
    chunks: list[dict[str, Any]]  # name, kind, start, end, tokens (BM25 counts), h (hash of the embedded text)
    vectors: Any = None  # numpy rows, one per chunk; None while pending or without embeddings
    texts: list[str] | None = field(default=None, repr=False)  # what to embed, while pending (memory only)


@dataclass
class CodeIndex:
    root: Path
    directory: Path
    files: dict[str, _File] = field(default_factory=dict)
    model: str | None = None
    dense_note: str | None = None  # why semantic ranking is off, when it is
    weights: Any = None  # per-token weights of this index's static embeddings (from its own token counts)
    _reuse: dict[str, Any] = field(default_factory=dict, repr=False)  # chunk hash -> vector, during a refresh
    _stamp: Any = field(default=None, repr=False)  # meta.json as this object last read or wrote it

    @classmethod
    def open(cls, root: Path) -> CodeIndex:
        index = cls(root, index_directory(root))
        index._load()
        return index

    @property
    def embedded(self) -> int:
        return sum(len(f.chunks) for f in self.files.values() if f.vectors is not None)

    def refresh(self, embed_budget: float = EMBED_BUDGET_SECS, progress: bool = False) -> RefreshStats:
        """Bring chunks up to date with the files on disk, then embed pending chunks for what is left of
        `embed_budget` seconds; `progress`: embed one batch at least, however long it takes."""
        started = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process (or the background thread) waits its turn
            if self._stamp is None or self._stamp != self._meta_stamp():
                self._load()  # another process (or thread) wrote the index since: read it again
            stats = self._scan()
            if self.model and (progress or time.monotonic() < started + embed_budget):
                self._embed(stats, started + embed_budget)
            stats.pending_chunks = sum(len(f.chunks) for f in self.files.values() if f.vectors is None)
            if stats.dirty:
                self._save()
        stats.seconds = time.monotonic() - started
        return stats

    def _scan(self) -> RefreshStats:
        self.dense_note = unavailable_reason()
        model = None if self.dense_note else MODEL_NAME
        if model != self.model:
            self.files, self.weights = {}, None  # embeddings appeared or went away: rebuild everything once
            self.model = model
        stats = RefreshStats()
        current: dict[str, _File] = {}
        reuse: dict[str, Any] = {}  # chunk text hash -> vector, from files that changed
        for path, info in candidates(self.root):
            if len(current) >= MAX_FILES:
                stats.capped = True
                break
            rel = path.relative_to(self.root).as_posix()
            old = self.files.get(rel)
            if old and old.mtime_ns == info.st_mtime_ns and old.size == info.st_size:
                current[rel] = old
                continue
            try:
                data = beneath.read_bytes(self.root, path)  # a file swapped for a link leads nowhere
            except OSError:
                continue
            if is_binary(data[:8192]):
                continue
            sha1 = hashlib.sha1(data).hexdigest()
            if old and old.sha1 == sha1:  # touched but unchanged: keep its chunks and vectors
                current[rel] = _File(info.st_mtime_ns, info.st_size, sha1, old.chunks, old.vectors, old.texts)
                stats.dirty = True
                continue
            if old is not None and old.vectors is not None:
                reuse.update((c.get("h"), v) for c, v in zip(old.chunks, old.vectors))
            current[rel] = _entry(rel, info, sha1, chunk_file(rel, data))
            stats.changed_files += 1
        for rel, old in self.files.items():  # a moved function keeps its vector
            if rel not in current and old.vectors is not None:
                reuse.update((c.get("h"), v) for c, v in zip(old.chunks, old.vectors))
        self._reuse = reuse
        if reuse and self.model:
            stats.reused_chunks = _take_reused(current, reuse)
        stats.dirty = stats.dirty or stats.changed_files > 0 or set(current) != set(self.files)
        self.files = current
        stats.files = len(current)
        stats.chunks = sum(len(f.chunks) for f in current.values())
        return stats

    def _embed(self, stats: RefreshStats, deadline: float) -> None:
        """Vectors for pending files, a batch at a time, until the deadline (the first batch always runs)."""
        import numpy as np

        from codetether.codesearch.static import StaticEncoder, count_tokens, flatten, token_table

        pending = [(rel, f) for rel, f in self.files.items() if f.vectors is None and f.chunks]
        if not pending:
            return
        known_ids: dict[int, list[list[int]]] = {}  # file's place in `pending` -> its chunks' token ids
        if self.weights is None:  # a new index: weights from the token counts of all its chunks
            encoder = StaticEncoder(np.ones(1, dtype=np.float32))
            texts = [self._texts(f, rel) for rel, f in pending]
            ids = encoder.token_ids([t for file_texts in texts for t in file_texts])  # tokenized once, kept
            self.weights = StaticEncoder.weights_for(count_tokens(ids, token_table().vectors.shape[0]))
            stats.dirty = True
            start = 0
            for number, file_texts in enumerate(texts):
                known_ids[number] = ids[start:start + len(file_texts)]
                start += len(file_texts)
            # Every token this index needs, distilled in full batches before the first chunk batch needs them.
            done, distilled = encoder.table.ensure(flatten(ids)[0], deadline)
            stats.distilled_tokens += distilled
            if not done:
                return  # the model's vectors for new tokens take longer: the background goes on
        encoder = StaticEncoder(self.weights)
        batch: list[tuple[_File, list[Any]]] = []
        todo: list[str] = []
        todo_ids: list[list[int] | None] = []
        for number, (rel, entry) in enumerate(pending):
            texts = self._texts(entry, rel)
            known = [self._reuse.get(c.get("h")) for c in entry.chunks]  # unchanged chunks of changed files
            batch.append((entry, known))
            file_ids = known_ids.pop(number, None)
            for n, (text, vector) in enumerate(zip(texts, known)):
                if vector is None:
                    todo.append(text)
                    todo_ids.append(file_ids[n] if file_ids is not None else None)
            if len(todo) < EMBED_BATCH and number + 1 < len(pending):
                continue
            missing = [n for n, row in enumerate(todo_ids) if row is None]
            if missing:
                for n, row in zip(missing, encoder.token_ids([todo[n] for n in missing])):
                    todo_ids[n] = row
            ids = [row for row in todo_ids if row is not None]
            done, distilled = encoder.table.ensure(flatten(ids)[0], deadline)
            stats.distilled_tokens += distilled
            if not done:
                break  # the model's vectors for new tokens take longer: the background goes on
            computed = iter(encoder.encode_ids(ids))
            for f, known in batch:
                f.vectors = np.stack([next(computed) if vector is None else vector for vector in known])
                f.texts = None
                stats.reused_chunks += sum(vector is not None for vector in known)
            stats.embedded_chunks += len(todo)
            stats.dirty = True
            batch, todo, todo_ids = [], [], []
            if time.monotonic() > deadline:
                break

    def _texts(self, entry: _File, rel: str) -> list[str]:
        """The embedding texts of a file's chunks: kept from chunking, else chunked again from disk."""
        if entry.texts is None:
            try:
                chunks = chunk_file(rel, beneath.read_bytes(self.root, self.root / rel))
            except OSError:
                chunks = []
            texts = [embedding_text(c.path, c.name, c.kind, c.text) for c in chunks]
            # Changed since it was indexed (the next refresh redoes it): embed its headers meanwhile.
            entry.texts = texts if len(texts) == len(entry.chunks) else [
                embedding_text(rel, c["name"], c["kind"], "") for c in entry.chunks]
        return entry.texts

    def search(self, query: str, limit: int, prefix: str = "", pattern: Any = None) -> list[Hit]:
        """The best chunks for a query: BM25 and the static vectors' rankings fused by reciprocal rank fusion,
        the best few then re-ranked by the transformer."""
        from codetether.codesearch.bm25 import shared, tokenize

        entries = [(rel, chunk, i) for rel, f in sorted(self.files.items())
                   if _in_scope(rel, prefix, pattern) for i, chunk in enumerate(f.chunks)]
        if not entries:
            return []
        scope = (prefix, pattern and pattern.pattern, tuple((rel, f.sha1) for rel, f in sorted(self.files.items())))
        bm25 = shared(str(self.root), scope, lambda: (c["tokens"] for _, c, _ in entries)).scores(tokenize(query))
        ranks: dict[int, list[int | None]] = {n: [rank, None] for rank, n in
                                              enumerate(sorted(bm25, key=lambda n: -bm25[n]), 1)}
        fused = {n: 1.0 / (RRF_K + rank) for n, (rank, _) in ranks.items() if rank is not None}
        query_vector = None
        if self.model:
            query_vector = read_query(query)
            if self.weights is not None:
                self._add_dense(query, query_vector, entries, ranks, fused)
        best = sorted(fused, key=lambda n: (-fused[n], n))[:max(limit, DEPTH)]
        model_ranks: dict[int, int] = {}
        if query_vector is not None and best:  # the transformer reads the best few in context; the rest keep order
            top = best[:DEPTH]
            order = rerank(query_vector, [entries[n][1]["h"] for n in top],
                           lambda k: self._reading(*entries[top[k]]))
            best = [top[i] for i, _, _ in order] + best[DEPTH:]
            for i, score, rank in order:
                fused[top[i]], model_ranks[top[i]] = score, rank
        return [Hit(entries[n][0], entries[n][1]["name"], entries[n][1]["kind"], entries[n][1]["start"],
                    entries[n][1]["end"], fused[n], ranks[n][0], ranks[n][1], model_ranks.get(n))
                for n in best[:limit]]

    def _add_dense(self, query: str, query_vector: Any, entries: list[tuple[str, dict[str, Any], int]],
                   ranks: dict[int, list[int | None]], fused: dict[int, float]) -> None:
        """Fuse in the static vectors' rankings of the embedded entries: for the query's static vector and for
        its transformer vector (`ranks` keeps the first's rank for the hit)."""
        import numpy as np

        from codetether.codesearch.dense import shared_view
        from codetether.codesearch.static import StaticEncoder

        embedded = sorted((rel, f) for rel, f in self.files.items() if f.vectors is not None)
        if not embedded:
            return
        offsets, row = {}, 0
        for rel, f in embedded:
            offsets[rel], row = row, row + len(f.chunks)
        key = tuple((rel, f.sha1) for rel, f in embedded)
        view = shared_view(str(self.directory), key, lambda: np.concatenate([f.vectors for _, f in embedded]))
        numbers = [n for n, (rel, _, _) in enumerate(entries) if rel in offsets]
        rows = np.fromiter((offsets[entries[n][0]] + entries[n][2] for n in numbers), dtype=np.int64,
                           count=len(numbers))
        static_query = StaticEncoder(self.weights).encode([query], save_later=True)[0]
        for weight, vector in ((STATIC_WEIGHT, static_query), (MODEL_QUERY_WEIGHT, query_vector)):
            for rank, k in enumerate(view.ranking(vector, DENSE_DEPTH, rows), 1):
                n = numbers[k]
                if vector is static_query:
                    ranks.setdefault(n, [None, None])[1] = rank
                fused[n] = fused.get(n, 0.0) + weight / (RRF_K + rank)

    def _reading(self, rel: str, chunk: dict[str, Any], number: int) -> str:
        """What the transformer reads of a chunk: its code (from the embedding text) laid out by reading_text."""
        code = self._texts(self.files[rel], rel)[number].partition("\n")[2]
        return reading_text(rel, chunk["name"], chunk["kind"], code)

    # persistence: meta.json holds files and chunks; vectors-*.npy every chunk's vector in file order (zero rows
    # for files still pending); weights.npy the per-token weights

    def _meta_stamp(self) -> Any:
        try:
            info = (self.directory / "meta.json").stat()
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def _load(self) -> None:
        self._stamp = self._meta_stamp()  # before reading: a write in between only makes the next refresh read again
        try:
            meta = json.loads((self.directory / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        if not meta or meta.get("version") != INDEX_VERSION or meta.get("root") != str(self.root):
            self.files, self.model, self.weights = {}, None, None
            return
        vectors = weights = None
        if meta.get("model") and meta.get("vectors"):
            try:
                import numpy as np

                vectors = np.load(self.directory / meta["vectors"])
                weights = np.load(self.directory / meta["weights"])
            except (OSError, ValueError, ImportError, KeyError, TypeError):
                self.files, self.model, self.weights = {}, None, None
                return
        kept = {rel: f for rel, f in self.files.items() if f.vectors is None and f.texts is not None}
        files: dict[str, _File] = {}
        row = 0
        for rel, raw in meta["files"].items():
            count = len(raw["chunks"])
            rows = vectors[row:row + count] if vectors is not None and raw.get("embedded") else None
            entry = _File(raw["mtime_ns"], raw["size"], raw["sha1"], raw["chunks"], rows)
            if rows is None and rel in kept and kept[rel].sha1 == entry.sha1:
                entry.texts = kept[rel].texts  # chunked in this process: no need to read it again
            files[rel] = entry
            row += count
        self.files, self.model, self.weights = files, meta.get("model"), weights

    def _save(self) -> None:
        vectors_name = weights_name = None
        if self.model and self.weights is not None:
            import numpy as np

            dimension = next((f.vectors.shape[1] for f in self.files.values() if f.vectors is not None), 0)
            rows = [f.vectors if f.vectors is not None else np.zeros((len(f.chunks), dimension), np.float32)
                    for f in self.files.values() if f.chunks]
            matrix = np.concatenate(rows) if rows and dimension else np.zeros((0, dimension), dtype=np.float32)
            stamp = f"{os.getpid()}-{time.time_ns()}"
            vectors_name, weights_name = f"vectors-{stamp}.npy", f"weights-{stamp}.npy"
            for name, array in ((vectors_name, matrix), (weights_name, self.weights)):
                buffer = io.BytesIO()
                np.save(buffer, array.astype(np.float32))
                atomic_write(self.directory / name, buffer.getvalue())
        meta = {"version": INDEX_VERSION, "root": str(self.root), "model": self.model, "vectors": vectors_name,
                "weights": weights_name,
                "files": {rel: {"mtime_ns": f.mtime_ns, "size": f.size, "sha1": f.sha1, "chunks": f.chunks,
                                "embedded": f.vectors is not None} for rel, f in self.files.items()}}
        atomic_write(self.directory / "meta.json", json.dumps(meta, separators=(",", ":")))
        self._stamp = self._meta_stamp()  # written under the index's lock: nobody else wrote in between
        for old in [*self.directory.glob("vectors-*.npy"), *self.directory.glob("weights-*.npy")]:
            if old.name not in (vectors_name, weights_name):
                old.unlink(missing_ok=True)


def _entry(rel: str, info: os.stat_result, sha1: str, chunks: list[Chunk]) -> _File:
    texts = [embedding_text(c.path, c.name, c.kind, c.text) for c in chunks]
    return _File(info.st_mtime_ns, info.st_size, sha1, [
        {"name": c.name, "kind": c.kind, "start": c.start, "end": c.end,
         "tokens": document_tokens(rel, c.name, c.text), "h": hashlib.sha1(text.encode()).hexdigest()[:16]}
        for c, text in zip(chunks, texts)], texts=texts)


def _take_reused(files: dict[str, _File], reuse: dict[str, Any]) -> int:
    """Give new or changed files the vectors of chunks whose text did not change; returns how many."""
    import numpy as np

    taken = 0
    for f in files.values():
        if f.vectors is None and f.chunks and all(c.get("h") in reuse for c in f.chunks):
            f.vectors, f.texts = np.stack([reuse[c["h"]] for c in f.chunks]), None
            taken += len(f.chunks)
    return taken


def _in_scope(rel: str, prefix: str, pattern: Any) -> bool:
    if prefix and rel != prefix and not rel.startswith(prefix.rstrip("/") + "/"):
        return False
    return pattern is None or bool(pattern.fullmatch(rel))
