"""BM25 over identifier-aware tokens: camelCase and snake_case split, lightly stemmed."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable

from codetether.codesearch.memo import LastBuilt

K1 = 1.2
B = 0.75

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# Words that say nothing about what code does: English glue and keywords common to many languages.
STOPWORDS = frozenset("""
a an and are as at be by do does for from how i in into is it its of on or that the this to was what when
where which with me my we our you your def self cls return import none true false null function fn func
var let const class new if else elif for while try except finally raise pass not use using get
""".split())


def stem(word: str) -> str:
    """A tiny suffix stripper so parse/parses/parsing/parsed meet; good enough for ranking."""
    for suffix, keep in (("ing", 3), ("ed", 3), ("es", 3), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Identifier parts, lower-cased and stemmed; a compound identifier is kept whole as well."""
    tokens: list[str] = []
    known = _word_tokens
    if len(known) > _WORDS_KEPT:
        known.clear()
    for word in _WORD.findall(text):
        found = known.get(word)
        if found is None:
            found = known[word] = _split_word(word)
        tokens += found
    return tokens


# A word's tokens, remembered: code repeats its identifiers, and splitting and stemming each occurrence again was
# most of the cost of chunking a repository.
_word_tokens: dict[str, tuple[str, ...]] = {}
_WORDS_KEPT = 200_000


def _split_word(word: str) -> tuple[str, ...]:
    parts = [p.lower() for piece in word.split("_") for p in _PART.findall(piece)]
    whole = (word.strip("_").lower(),) if len(parts) > 1 else ()
    return whole + tuple(stem(p) for p in parts if p not in STOPWORDS and len(p) > 1)


class BM25:
    """An inverted index over documents given as token counts."""

    def __init__(self, documents: Iterable[dict[str, int]]):
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.lengths: list[int] = []
        for number, counts in enumerate(documents):
            self.lengths.append(sum(counts.values()))
            for token, tf in counts.items():
                self.postings.setdefault(token, []).append((number, tf))
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0

    def scores(self, query_tokens: list[str]) -> dict[int, float]:
        """Document number -> score, for documents that share a token with the query."""
        total = len(self.lengths)
        result: dict[int, float] = {}
        for token, weight in Counter(query_tokens).items():
            postings = self.postings.get(token)
            if not postings:
                continue
            idf = math.log(1 + (total - len(postings) + 0.5) / (len(postings) + 0.5))
            for number, tf in postings:
                norm = tf + K1 * (1 - B + B * self.lengths[number] / self.average)
                result[number] = result.get(number, 0.0) + weight * idf * tf * (K1 + 1) / norm
        return result


_built: LastBuilt[BM25] = LastBuilt()


def shared(owner: str, key: Hashable, documents: Callable[[], Iterable[dict[str, int]]]) -> BM25:
    """`owner`'s index, built again only when `key` (what its documents came from) changed: building it costs
    more than a query (~0.1 s for 5,000 chunks), and a session's searches mostly meet an unchanged tree."""
    return _built.get(owner, key, lambda: BM25(documents()))


def document_tokens(path: str, name: str, text: str) -> dict[str, int]:
    """Token counts of a chunk; its name counts three times and its path once, as field boosts."""
    counts = Counter(tokenize(text))
    for token in tokenize(name):
        counts[token] += 3
    counts.update(tokenize(path.rsplit(".", 1)[0].replace("/", " ")))
    return dict(counts)
