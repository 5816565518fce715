"""Keyword search on PostgreSQL: the generated `search_vector` column (GIN index) finds the chunks
with any of the query's informative words; BM25 ranks them, computed in the query; one result
per page, its best chunk.

BM25 needs, per chunk and query term, the term's frequency in the chunk; per term, how many chunks
have it; and the collection's size and average chunk length. PostgreSQL keeps none of these in a
form a query can read cheaply, so:
- term frequency: `ts_rank` of a one-lexeme query with every weight 1 and no normalisation is
  H(tf) / (pi^2/6), H(n) = sum of 1/j^2 for j <= n (tsrank.c, calc_rank_or): a strictly growing
  function of tf, inverted exactly (to the nearest integer) by `_TF`;
- document frequency: every chunk with the term matches the any-word query, so counting the
  matches that have it is exact, for the user's own chunks (filtered by document, when asked);
- the collection: the user's chunks are counted; the average length (distinct lexemes, what
  `length(tsvector)` gives) is that of the matches, close to the user's average and free.
The statistics are the user's own: another user's documents never change the order of yours.
`RANKING = "ts_rank_cd"` ranks by PostgreSQL's cover density instead (measured against BM25 by
bench/search_quality.py: it loses clearly).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

from django.db import connection, transaction

from .backends import Ranked
from .query import KeywordQuery, Term

# Must match the configuration of the generated column (migrations/0002_fulltext).
CONFIG = "english"
Ranking = Literal["bm25", "ts_rank_cd"]
RANKING: Ranking = "bm25"
# BM25's usual constants (those of SQLite's bm25() too): term-frequency saturation, length weight.
K1 = 1.2
B = 0.75
# ts_rank_cd's 1: divide by 1 + log(length), so long chunks do not win by size; 32: scale to 0..1.
RANK_NORMALIZATION = 1 | 32
# tf from r = ts_rank('{1,1,1,1}', v, 'term', 0) = H(tf) / zeta(2): the tail zeta(2) - H(n) is
# 1/(n + 1/2) to within 1/(12 n^3), so n = 1/tail - 1/2, rounded: exact up to n = 255 (ts_rank is
# a float4; a tsvector keeps at most 256 positions of a lexeme anyway).
_TF = "round(1 / (1.6449340668482264 * (1 - {r}::float8)) - 0.5)"

# Matches are read once (ids, lengths and one rank per term); the text is fetched for the page's
# rows alone. `terms`: the distinct lexemes of the scored words (stop words give empty queries).
_BM25 = """
WITH terms AS MATERIALIZED (
    SELECT q, row_number() OVER (ORDER BY q::text) AS i
    FROM (SELECT DISTINCT plainto_tsquery(%(config)s::regconfig, w) AS q FROM unnest(%(words)s::text[]) AS w) s
    WHERE numnode(q) > 0
),
matched AS MATERIALIZED (
    SELECT c.id, c.document_id, c.page_number, c.char_start, c.char_end, length(c.search_vector)::float8 AS dl,
           ARRAY(SELECT ts_rank('{{1,1,1,1}}', c.search_vector, t.q, 0) FROM terms t ORDER BY t.i) AS ranks
    FROM indexing_chunk c
    JOIN documents_document d ON d.id = c.document_id
    WHERE c.search_vector @@ to_tsquery(%(config)s::regconfig, %(any)s) AND d.owner_id = %(owner)s {filter} {constraints}
),
hits AS (
    SELECT m.id, m.dl, u.i, TF AS tf
    FROM matched m, unnest(m.ranks) WITH ORDINALITY AS u(r, i)
    WHERE u.r > 0
),
df AS (SELECT i, count(*)::float8 AS df FROM hits GROUP BY i),
collection AS (
    SELECT (SELECT count(*) FROM indexing_chunk c JOIN documents_document d ON d.id = c.document_id
            WHERE d.owner_id = %(owner)s {filter})::float8 AS n,
           (SELECT avg(dl) FROM matched) AS avgdl
),
scored AS (
    SELECT h.id, sum(
        ln(1 + (col.n - df.df + 0.5) / (df.df + 0.5))
        * h.tf * (%(k1)s + 1) / (h.tf + %(k1)s * (1 - %(b)s + %(b)s * h.dl / col.avgdl))
    ) AS score
    FROM hits h JOIN df USING (i) CROSS JOIN collection col
    GROUP BY h.id
)
PLACED
""".replace("TF", _TF.format(r="u.r"))
_COVER_DENSITY = """
WITH matched AS MATERIALIZED (
    SELECT c.id, c.document_id, c.page_number, c.char_start, c.char_end,
           ts_rank_cd(c.search_vector, to_tsquery(%(config)s::regconfig, %(any)s), %(normalization)s) AS score
    FROM indexing_chunk c
    JOIN documents_document d ON d.id = c.document_id
    WHERE c.search_vector @@ to_tsquery(%(config)s::regconfig, %(any)s) AND d.owner_id = %(owner)s {filter} {constraints}
),
scored AS (SELECT id, score FROM matched)
PLACED
"""
# One row per page: its best chunk, and the span of all its matching chunks.
_PLACED = """,
placed AS (
    SELECT m.id, s.score,
           row_number() OVER (PARTITION BY m.document_id, m.page_number ORDER BY s.score DESC, m.id) AS nth,
           min(m.char_start) OVER (PARTITION BY m.document_id, m.page_number) AS span_start,
           max(m.char_end) OVER (PARTITION BY m.document_id, m.page_number) AS span_end
    FROM matched m JOIN scored s USING (id)
)
SELECT id, score, span_start, span_end, count(*) OVER () AS total
FROM placed
WHERE nth = 1
ORDER BY score DESC, id
LIMIT %(limit)s OFFSET %(offset)s"""
_BM25 = _BM25.replace("\nPLACED", _PLACED)
_COVER_DENSITY = _COVER_DENSITY.replace("\nPLACED", _PLACED)
_COUNT = """
SELECT count(DISTINCT (c.document_id, c.page_number))
FROM indexing_chunk c
JOIN documents_document d ON d.id = c.document_id
WHERE c.search_vector @@ to_tsquery(%(config)s::regconfig, %(any)s) AND d.owner_id = %(owner)s {filter} {constraints}
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

    def __init__(self, ranking: Ranking | None = None) -> None:
        self.ranking = ranking or RANKING

    def rank(
        self, owner_id: int, query: KeywordQuery, document_ids: Sequence[int] | None, limit: int, offset: int
    ) -> Ranked:
        params: dict[str, object] = {
            "config": CONFIG, "words": query.scored, "any": _any_word(query), "owner": owner_id,
            "k1": K1, "b": B, "normalization": RANK_NORMALIZATION, "limit": limit, "offset": offset,
        }  # fmt: skip
        where = ""
        if document_ids is not None:
            where = "AND c.document_id = ANY(%(documents)s)"
            params["documents"] = list(document_ids)
        sql = {"filter": where, "constraints": _constraints(query, params)}
        with connection.cursor() as cursor:
            cursor.execute((_BM25 if self.ranking == "bm25" else _COVER_DENSITY).format(**sql), params)
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][4])
            elif offset:  # past the last page: the count had no row to ride on
                cursor.execute(_COUNT.format(**sql), params)
                total = int(cursor.fetchone()[0])
            else:
                total = 0
        return Ranked([(int(r[0]), float(r[1])) for r in rows], total, {int(r[0]): (int(r[2]), int(r[3])) for r in rows})


def _any_word(query: KeywordQuery) -> str:
    """`w1 | w2 | ...` for to_tsquery: the scored words are runs of letters and digits (query.py),
    never tsquery syntax; to_tsquery stems them and drops stop words."""
    return " | ".join(query.scored)


def _constraints(query: KeywordQuery, params: dict[str, object]) -> str:
    """The phrases and `or` groups the chunk must match and the groups it must not, as SQL over
    parameters added to `params` (each term a phraseto_tsquery: one word, or words in sequence)."""

    def tsquery(term: Term) -> str:
        name = f"t{len(params)}"
        params[name] = " ".join(term.words)
        return f"phraseto_tsquery(%(config)s::regconfig, %({name})s)"

    parts = [
        "AND c.search_vector @@ (" + " || ".join(tsquery(t) for t in group) + ")" for group in query.required
    ] + [
        "AND NOT c.search_vector @@ (" + " && ".join(tsquery(t) for t in group) + ")" for group in query.excluded
    ]
    return " ".join(parts)
