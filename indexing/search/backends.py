"""What a keyword backend does, and which one serves the current database."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from django.db import connection

from .query import KeywordQuery

# BM25's usual constants, FTS5's bm25() too (so the PostgreSQL ranking and the proximity scores
# use them as well): term-frequency saturation, length weight.
K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class Ranked:
    """One page of ranked chunk ids (best first, score higher is better) and how many matched.
    A keyword backend ranks pages: one chunk per page, the best, and in `spans` the (char_start,
    char_end) covering the page's matching chunks, for the chunks whose span is wider than theirs."""

    scored: list[tuple[int, float]]
    total: int
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    total_exact: bool = True  # False: `total` is a lower bound (a pruned ranking counts only so far)
    collection: Collection | None = None  # the statistics the ranking read, when it read them


@dataclass(frozen=True)
class Collection:
    """BM25's statistics for a query's words, as the engine ranks with them (the proximity
    scores of search/proximity.py weigh words by them)."""

    chunks: float
    average_words: float
    # A query word's English (Snowball) stem, which is also PostgreSQL's lexeme -> the chunks holding it.
    frequencies: Mapping[str, float]

    def idf(self, stem: str) -> float:
        df = self.frequencies.get(stem, 0.0)
        return math.log(1 + (self.chunks - df + 0.5) / (df + 0.5))


class KeywordBackend(Protocol):
    def snapshot(self) -> AbstractContextManager[None]:
        """A read-only transaction in which every query sees the same committed state, so a
        search that takes several queries never mixes a document's old and new chunks."""

    def rank(
        self, owner_id: int, query: KeywordQuery, document_ids: Sequence[int] | None, limit: int, offset: int
    ) -> Ranked:
        """The owner's pages matching `query`, best first (each as its best chunk, with the span of
        its matching chunks); only `owner_id`'s documents are read. `total` counts pages."""

    def collection(self, owner_id: int, words: Sequence[str], document_ids: Sequence[int] | None) -> Collection:
        """The chunk count, average length and each word's document frequency (by its stem) that
        rank() uses."""


def keyword_backend() -> KeywordBackend:
    if connection.vendor == "postgresql":
        from .postgres import PostgresBackend

        return PostgresBackend()
    if connection.vendor == "sqlite":
        from .sqlite import SqliteBackend

        return SqliteBackend()
    raise NotImplementedError(f"keyword search supports PostgreSQL and SQLite, not {connection.vendor}")
