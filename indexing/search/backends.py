"""What a keyword backend does, and which one serves the current database."""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from django.db import connection

from .query import KeywordQuery


@dataclass(frozen=True)
class Ranked:
    """One page of ranked chunk ids (best first, score higher is better) and how many matched."""

    scored: list[tuple[int, float]]
    total: int


class KeywordBackend(Protocol):
    def snapshot(self) -> AbstractContextManager[None]:
        """A read-only transaction in which every query sees the same committed state, so a
        search that takes several queries never mixes a document's old and new chunks."""

    def rank(
        self, owner_id: int, query: KeywordQuery, document_ids: Sequence[int] | None, limit: int, offset: int
    ) -> Ranked:
        """The owner's chunks matching `query`, best first; only `owner_id`'s documents are read."""

    def snippets(self, query: KeywordQuery, chunk_ids: Sequence[int]) -> dict[int, str]:
        """Marked snippets (snippets.START/STOP around matches) of the given chunks; a backend may
        leave out chunks the query does not match."""


def keyword_backend() -> KeywordBackend:
    if connection.vendor == "postgresql":
        from .postgres import PostgresBackend

        return PostgresBackend()
    if connection.vendor == "sqlite":
        from .sqlite import SqliteBackend

        return SqliteBackend()
    raise NotImplementedError(f"keyword search supports PostgreSQL and SQLite, not {connection.vendor}")
