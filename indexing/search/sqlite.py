"""Keyword search on SQLite: the external-content FTS5 table `indexing_chunk_fts` (Porter
stemming), ranked by FTS5's bm25() over an OR of the query's informative words, the phrases and
`or` groups a second MATCH on the same table that filters; snippets by FTS5's snippet().

bm25()'s statistics (chunk count, average length, document frequencies) are the whole table's,
every user's chunks: FTS5 keeps no other. Only the order of one user's results depends on them.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connection

from .backends import Ranked
from .query import KeywordQuery
from .snippets import ELLIPSIS, START, STOP

SNIPPET_TOKENS = 32  # FTS5 allows at most 64

_RANK = """
SELECT f.rowid, -bm25(indexing_chunk_fts) AS score
FROM indexing_chunk_fts f
JOIN indexing_chunk c ON c.id = f.rowid
JOIN documents_document d ON d.id = c.document_id
WHERE indexing_chunk_fts MATCH %s AND d.owner_id = %s {filter}{required}
ORDER BY score DESC, f.rowid
LIMIT %s OFFSET %s
"""
_COUNT = """
SELECT count(*)
FROM indexing_chunk_fts f
JOIN indexing_chunk c ON c.id = f.rowid
JOIN documents_document d ON d.id = c.document_id
WHERE indexing_chunk_fts MATCH %s AND d.owner_id = %s {filter}{required}
"""
# The constraints as a second cursor on the FTS table: in the ranking MATCH they would count in
# bm25() a second time (a phrase's words are scored already).
_REQUIRED = "\n  AND f.rowid IN (SELECT rowid FROM indexing_chunk_fts WHERE indexing_chunk_fts MATCH %s)"
_SNIPPETS = """
SELECT rowid, snippet(indexing_chunk_fts, 0, %s, %s, %s, %s)
FROM indexing_chunk_fts
WHERE indexing_chunk_fts MATCH %s AND rowid IN ({ids})
"""


class SqliteBackend:
    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if connection.in_atomic_block:  # the caller's transaction decides
            yield
            return
        # A deferred transaction reads one WAL snapshot without taking the write lock (Django's
        # atomic() would BEGIN IMMEDIATE here, queueing searches behind every writer).
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            try:
                yield
            except BaseException:
                with suppress(DatabaseError):  # an error may have ended the transaction already
                    cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def rank(
        self, owner_id: int, query: KeywordQuery, document_ids: Sequence[int] | None, limit: int, offset: int
    ) -> Ranked:
        where, extra = _document_filter(document_ids)
        required = query.fts5_required()
        if required is not None:
            extra.append(required)
        sql = {"filter": where, "required": _REQUIRED if required is not None else ""}
        expression = query.fts5_scored()
        with connection.cursor() as cursor:
            cursor.execute(_RANK.format(**sql), [expression, owner_id, *extra, limit, offset])
            rows = cursor.fetchall()
            if len(rows) < limit and (rows or not offset):
                total = offset + len(rows)  # the last page: no need to count
            else:
                cursor.execute(_COUNT.format(**sql), [expression, owner_id, *extra])
                total = int(cursor.fetchone()[0])
        return Ranked([(int(r[0]), float(r[1])) for r in rows], total)

    def snippets(self, query: KeywordQuery, chunk_ids: Sequence[int]) -> dict[int, str]:
        if not chunk_ids:
            return {}
        sql = _SNIPPETS.format(ids=", ".join(["%s"] * len(chunk_ids)))
        with connection.cursor() as cursor:
            cursor.execute(sql, [START, STOP, ELLIPSIS, SNIPPET_TOKENS, query.fts5_scored(), *chunk_ids])
            return {int(row[0]): row[1] for row in cursor.fetchall()}


def _document_filter(document_ids: Sequence[int] | None) -> tuple[str, list[int | str]]:
    if document_ids is None:
        return "", []
    if not document_ids:
        return "AND 0", []
    return f"AND c.document_id IN ({', '.join(['%s'] * len(document_ids))})", [*document_ids]
