"""Term proximity: of two passages with the same words of a question, the one where they stand
together ("decompress either a gzip- or deflate-compressed stream") answers it better than the one
where they are scattered over a page. BM25 scores each word on its own and cannot tell them apart.

So the first DEPTH pages of a keyword ranking are re-sorted by BM25 plus the proximity score of
Büttcher, Clarke & Lushman, "Term proximity scoring for ad-hoc retrieval on very large text
collections" (SIGIR 2006), on each page's best chunk:
- walking the chunk's words, each query word that follows an occurrence of a *different* query
  word d words back adds to both words' accumulators the other's idf / d²;
- each word then scores min(1, idf) x acc (k1 + 1) / (acc + K), K = k1 (1 - b + b dl / avgdl), the
  BM25 saturation and length normalisation, with BM25's own k1 and b; the page adds their sum.
The formula and its weight (1: simply added to BM25) are the paper's; nothing is tuned on our
evaluation set (bench/search_quality.py measures it, docs/benchmarks.md §7).

Only the order within the first DEPTH pages changes: the same pages are returned, and every page
after them keeps its place, whatever page of results is asked for. Words match by their Snowball
stem (snippets.stem), the same on both engines; the idf is the engine's own statistics (Collection).
"""
from __future__ import annotations

from collections.abc import Mapping

from ..chunking import WORD
from .backends import B, K1, Collection, Ranked
from .snippets import stem

# False: BM25 alone (bench/search_quality.py measures both).
ENABLED = True
# The pages re-sorted: a screen of results and then some, so the next page is the same whichever
# page size the client uses.
DEPTH = 30


def applies(words: list[str]) -> bool:
    """Whether the query's scored words can be near one another: two stems at least."""
    return ENABLED and len({stem(w) for w in words}) > 1


def rerank(ranked: Ranked, texts: Mapping[int, str], words: list[str], collection: Collection) -> Ranked:
    """`ranked` with its first DEPTH pages re-sorted by score + proximity score; `texts` holds
    their chunks' texts, `words` the query's scored words."""
    weights = {term: collection.idf(term) for term in map(stem, words)}
    if len(weights) < 2 or not collection.chunks:
        return ranked  # one word has no neighbours to be near
    head = ranked.scored[:DEPTH]
    boosted = [
        (chunk_id, score + proximity(texts.get(chunk_id, ""), weights, collection.average_words)) for chunk_id, score in head
    ]
    boosted.sort(key=lambda item: -item[1])  # stable: equal scores keep the engine's order
    return Ranked(boosted + ranked.scored[DEPTH:], ranked.total, ranked.spans, ranked.total_exact)


def proximity(text: str, weights: Mapping[str, float], average_words: float) -> float:
    """The proximity score of `text` for the query stems `weights` (stem -> idf)."""
    prefixes = {s[:3] for s in weights}
    accumulated: dict[str, float] = {}
    previous: tuple[int, str] | None = None
    words = WORD.findall(text.lower())
    for position, word in enumerate(words):
        if word[:3] not in prefixes:  # a stem keeps its word's first letters: skip stemming most words
            continue
        term = stem(word)
        if term not in weights:
            continue
        if previous is not None and previous[1] != term:
            distance = position - previous[0]
            accumulated[term] = accumulated.get(term, 0.0) + weights[previous[1]] / distance**2
            accumulated[previous[1]] = accumulated.get(previous[1], 0.0) + weights[term] / distance**2
        previous = (position, term)
    if not accumulated:
        return 0.0
    saturation = K1 * (1 - B + B * len(words) / average_words) if average_words else K1
    return sum(min(1.0, weights[t]) * acc * (K1 + 1) / (acc + saturation) for t, acc in accumulated.items())
