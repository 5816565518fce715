"""Keyword search on PostgreSQL: the generated `search_vector` column (GIN index),
`websearch_to_tsquery`, `ts_rank_cd` and `ts_headline`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction

from .backends import Ranked
from .query import KeywordQuery
from .snippets import START, STOP

# Must match the configuration of the generated column (migrations/0002_fulltext).
CONFIG = "english"
# 1: divide by 1 + log(length), so long chunks do not win by size; 32: scale to 0..1.
RANK_NORMALIZATION = 1 | 32
HEADLINE_OPTIONS = (
    f'StartSel="{START}", StopSel="{STOP}", MinWords=15, MaxWords=35, ShortWord=2, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)

# Ranking reads only ids and vectors (the text is fetched for the page's rows alone). The CTE is
# materialised so the window that counts the matches buffers (id, score) pairs, not the vectors.
_RANK = """
WITH ranked AS MATERIALIZED (
    SELECT c.id, ts_rank_cd(c.search_vector, q.query, %s) AS score
    FROM indexing_chunk c
    JOIN documents_document d ON d.id = c.document_id
    CROSS JOIN websearch_to_tsquery(%s::regconfig, %s) AS q(query)
    WHERE c.search_vector @@ q.query AND d.owner_id = %s {filter}
)
SELECT id, score, count(*) OVER () AS total
FROM ranked
ORDER BY score DESC, id
LIMIT %s OFFSET %s
"""
_COUNT = """
SELECT count(*)
FROM indexing_chunk c
JOIN documents_document d ON d.id = c.document_id
CROSS JOIN websearch_to_tsquery(%s::regconfig, %s) AS q(query)
WHERE c.search_vector @@ q.query AND d.owner_id = %s {filter}
"""
_HEADLINES = """
SELECT c.id, ts_headline(%s::regconfig, c.text, websearch_to_tsquery(%s::regconfig, %s), %s)
FROM indexing_chunk c
WHERE c.id = ANY(%s)
"""


_COPY = "COPY indexing_chunk (document_id, key, page_number, ordinal, char_start, char_end, text) FROM STDIN"


def copy_chunks(rows: Iterable[tuple[int, str, int, int, int, int, str]]) -> None:
    """Insert chunk rows with COPY: the server fills the tsvector column and the GIN index, and
    COPY spares the per-row statement work of INSERT (measured: a fifth faster, bench/search.py)."""
    with connection.cursor() as cursor, cursor.cursor.copy(_COPY) as copy:
        for row in rows:
            copy.write_row(row)


class PostgresBackend:
    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if connection.in_atomic_block:  # the caller's transaction decides
            yield
            return
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def rank(
        self, owner_id: int, query: KeywordQuery, document_ids: Sequence[int] | None, limit: int, offset: int
    ) -> Ranked:
        where, extra = ("AND c.document_id = ANY(%s)", [list(document_ids)]) if document_ids is not None else ("", [])
        with connection.cursor() as cursor:
            cursor.execute(
                _RANK.format(filter=where),
                [RANK_NORMALIZATION, CONFIG, query.text, owner_id, *extra, limit, offset],
            )
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][2])
            elif offset:  # past the last page: the window count had no row to ride on
                cursor.execute(_COUNT.format(filter=where), [CONFIG, query.text, owner_id, *extra])
                total = int(cursor.fetchone()[0])
            else:
                total = 0
        return Ranked([(int(r[0]), float(r[1])) for r in rows], total)

    def snippets(self, query: KeywordQuery, chunk_ids: Sequence[int]) -> dict[int, str]:
        if not chunk_ids:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(_HEADLINES, [CONFIG, CONFIG, query.text, HEADLINE_OPTIONS, list(chunk_ids)])
            return {int(row[0]): row[1] for row in cursor.fetchall()}
