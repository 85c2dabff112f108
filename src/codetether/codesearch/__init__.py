"""Semantic code search: symbol-aware chunks, BM25 and local sentence embeddings, an incremental index."""
