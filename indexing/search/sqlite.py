"""Keyword search on SQLite: the external-content FTS5 table `indexing_chunk_fts` (Porter
stemming), ranked by FTS5's bm25() over an OR of the query's informative words; the phrases and
`OR` groups are a second MATCH on the same table that filters. One result per page: its best chunk.

bm25()'s statistics (chunk count, average length, document frequencies) are the whole table's,
every user's chunks: FTS5 keeps no other. Only the order of one user's results depends on them.
`collection()` gives the proximity scores (proximity.py) the same statistics: each word's chunks
counted by FTS5, the chunk count and words from every document's DocumentIndexStats.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connection

from .backends import Collection, Ranked
from .query import KeywordQuery
from .snippets import stem

_MATCHED = """
SELECT f.rowid AS id, -bm25(indexing_chunk_fts) AS score, c.document_id, c.page_number, c.char_start, c.char_end
FROM indexing_chunk_fts f
JOIN indexing_chunk c ON c.id = f.rowid
JOIN documents_document d ON d.id = c.document_id
WHERE indexing_chunk_fts MATCH %s AND d.owner_id = %s {filter}{required}
"""
# bm25() can only be called where the MATCH is: rank the matches first, then keep each page's best.
_RANK = f"""
WITH matched AS MATERIALIZED ({_MATCHED}),
placed AS (
    SELECT id, score,
           row_number() OVER (PARTITION BY document_id, page_number ORDER BY score DESC, id) AS nth,
           min(char_start) OVER (PARTITION BY document_id, page_number) AS span_start,
           max(char_end) OVER (PARTITION BY document_id, page_number) AS span_end
    FROM matched
)
SELECT id, score, span_start, span_end, count(*) OVER () AS total
FROM placed
WHERE nth = 1
ORDER BY score DESC, id
LIMIT %s OFFSET %s
"""
_COUNT = f"SELECT count(*) FROM (SELECT DISTINCT document_id, page_number FROM ({_MATCHED}))"
# The constraints as a second cursor on the FTS table: in the ranking MATCH they would count in
# bm25() a second time (a phrase's words are scored already).
_REQUIRED = "\n  AND f.rowid IN (SELECT rowid FROM indexing_chunk_fts WHERE indexing_chunk_fts MATCH %s)"


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
        params = [query.fts5_scored(), owner_id, *extra]
        with connection.cursor() as cursor:
            cursor.execute(_RANK.format(**sql), [*params, limit, offset])
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][4])
            elif offset:  # past the last page: the window count had no row to ride on
                cursor.execute(_COUNT.format(**sql), params)
                total = int(cursor.fetchone()[0])
            else:
                total = 0
        return Ranked([(int(r[0]), float(r[1])) for r in rows], total, {int(r[0]): (int(r[2]), int(r[3])) for r in rows})

    def collection(self, owner_id: int, words: Sequence[str], document_ids: Sequence[int] | None) -> Collection:
        # A query word is letters and digits only (query.WORD): quoted, it is one FTS5 phrase.
        counts = ", ".join(["(SELECT count(*) FROM indexing_chunk_fts WHERE indexing_chunk_fts MATCH %s)"] * len(words))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(chunks), 0), coalesce(1.0 * sum(words) / nullif(sum(chunks), 0), 0)"
                + (f", {counts}" if words else "") + " FROM indexing_documentindexstats",
                [f'"{word}"' for word in words],
            )  # fmt: skip
            chunks, average, *frequencies = cursor.fetchone()
        return Collection(float(chunks), float(average), {stem(w): float(df) for w, df in zip(words, frequencies, strict=True)})


def _document_filter(document_ids: Sequence[int] | None) -> tuple[str, list[int | str]]:
    if document_ids is None:
        return "", []
    if not document_ids:
        return "AND 0", []
    return f"AND c.document_id IN ({', '.join(['%s'] * len(document_ids))})", [*document_ids]
