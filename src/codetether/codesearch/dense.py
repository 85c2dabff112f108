"""The first stage's meaning-based rankings over an index's static chunk vectors. Averaged token vectors share a
few directions whatever the text says (SIF's "common component"); taking out their mean and two main directions
lets what differs decide: static vectors alone went from 57 to 69 of bench/codesearch.py's 114 answers in their
top 5. The query is read two ways, as static tokens and by the transformer itself (its sentence vector lives in
the same output space the token vectors were distilled from)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from codetether.codesearch.memo import LastBuilt

COMMON_DIRECTIONS = 2  # main directions removed besides the mean: 2, 3 and 5 did alike on the bench, 1 and 10 worse
MIN_CHUNKS = 256  # below this the main directions are what tells a small project's few topics apart
SAMPLE_ROWS = 2048  # rows the directions are estimated from (every k-th chunk)


@dataclass
class DenseView:
    """An index's chunk vectors with their common part taken out, and what to take out of a query."""

    matrix: Any  # unit rows, one per embedded chunk in index order
    mean: Any  # None below MIN_CHUNKS
    basis: Any

    def project(self, vectors: Any) -> Any:
        import numpy as np

        if self.mean is not None:
            vectors = vectors - self.mean
            vectors = vectors - (vectors @ self.basis.T) @ self.basis
        return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)

    def ranking(self, query_vector: Any, depth: int, rows: Any) -> list[int]:
        """Positions in `rows` (row numbers) of the `depth` rows nearest a query vector (not yet projected), best
        first."""
        import numpy as np

        cosine = (self.matrix @ self.project(query_vector))[rows]  # no copy of the scoped rows
        return [int(n) for n in np.argsort(-cosine, kind="stable")[:depth]]


def build_view(vectors: Any) -> DenseView:
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) < MIN_CHUNKS:
        return DenseView(vectors, None, None)
    mean = vectors.mean(axis=0)
    sample = (vectors - mean)[:: max(1, len(vectors) // SAMPLE_ROWS)]
    basis = np.linalg.svd(sample, full_matrices=False)[2][:COMMON_DIRECTIONS]
    view = DenseView(vectors, mean, basis)
    view.matrix = view.project(vectors)
    return view


_views: LastBuilt[DenseView] = LastBuilt()


def shared_view(owner: str, key: Hashable, vectors: Callable[[], Any]) -> DenseView:
    """`owner`'s view, built again only when `key` changed (stacking and projecting 5,000 rows costs ~20 ms)."""
    return _views.get(owner, key, lambda: build_view(vectors()))
