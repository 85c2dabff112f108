"""Re-ranking a search's best few chunks with the MiniLM transformer itself: the static vectors that rank the whole
index average tokens seen alone, while the transformer reads each token in its context. Running it over every
chunk is what made indexing slow (~20-40 ms a chunk at 128 tokens); over the best thirty, the first 48 tokens of
each as chunker.reading_text lays it out (name, docstring, bare signature), it costs ~0.15 s a search.
bench/codesearch.py measures what each stage finds (figures in bench/RESULTS.md).

Vectors computed here are kept in memory (by chunk text hash) for later searches of the same process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

DEPTH = 30  # candidates re-ranked: the first stage's top 30 holds 102 of the 114 tuned-on bench answers, top 50 105
TOKENS = 48  # of chunker.reading_text (name, docstring, bare signature): the head says what it does, cheaply
RRF_K = 10  # fusing first-stage and transformer ranks: an exact keyword hit the transformer misreads stays near
FIRST_WEIGHT = 0.5  # the first stage's say against the transformer's (1): 0.5 did better than 0.25 on the 114
CACHE_SIZE = 4096  # chunk vectors kept between searches (1.5 KiB each)

_cache: OrderedDict[str, Any] = OrderedDict()
_cache_lock = threading.Lock()


def read_query(query: str) -> Any:
    """The transformer's unit vector for a query (the first stage uses it too)."""
    from codetether.codesearch.embed import get_embedder

    return get_embedder().embed([query])[0]


def rerank(query_vector: Any, keys: list[str], text_of: Callable[[int], str]) -> list[tuple[int, float, int]]:
    """The candidates (given best first, by their text hashes; `text_of(i)` reads the i-th text when its vector
    is not cached) in their new order, as (candidate, fused score, transformer rank), against the query's
    transformer vector."""
    from codetether.codesearch.embed import get_embedder

    embedder = get_embedder()
    np = embedder.np
    with _cache_lock:
        known = {i: _cache[key] for i, key in enumerate(keys) if key in _cache}
    missing = [i for i in range(len(keys)) if i not in known]
    if missing:
        # One batch: the texts are cut to the same few tokens, so sorting by length saves no padding.
        fresh = embedder.embed([text_of(i) for i in missing], batch_size=len(missing), max_tokens=TOKENS)
        with _cache_lock:
            for i, vector in zip(missing, fresh):
                known[i] = _cache[keys[i]] = vector
                _cache.move_to_end(keys[i])
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if not keys:
        return []
    similarity = np.stack([known[i] for i in range(len(keys))]) @ query_vector
    model_rank = {int(i): rank for rank, i in enumerate(np.argsort(-similarity, kind="stable"), 1)}
    # 1 + : above every first-stage score (at most 2 / (index.RRF_K + 1)), as the candidates come first.
    fused = {i: 1.0 + FIRST_WEIGHT / (RRF_K + i + 1) + 1.0 / (RRF_K + model_rank[i]) for i in range(len(keys))}
    return [(i, fused[i], model_rank[i]) for i in sorted(fused, key=lambda i: (-fused[i], model_rank[i]))]
