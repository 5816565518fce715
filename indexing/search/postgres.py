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
- the collection: chunk count and total length per document, kept by the indexer in
  `DocumentIndexStats` (a document's length is the sum of `length(search_vector)`, its chunks'
  distinct lexemes, the length BM25 reads here).
The statistics are the user's own: another user's documents never change the order of yours.
`PostgresBackend("ts_rank_cd")` ranks by PostgreSQL's cover density instead (bench/search_quality.py
measures it against BM25: it loses clearly).
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

# The distinct lexemes of the scored words, as PostgreSQL's parser and stemmer make them (a stop
# word gives an empty query, left out). Sorted, so a query's SQL text is stable.
_LEXEMES = """
SELECT DISTINCT q::text FROM (SELECT plainto_tsquery(%s::regconfig, w) AS q FROM unnest(%s::text[]) AS w) s
WHERE numnode(q) > 0 ORDER BY 1
"""
_MATCHES = """
    FROM indexing_chunk c
    JOIN documents_document d ON d.id = c.document_id
    WHERE c.search_vector @@ %(any)s::tsquery AND d.owner_id = %(owner)s {filter} {constraints}"""
# Matches are read once: place, length and one term frequency per query lexeme (cheap: ts_rank
# finds a lexeme by binary search); the text is fetched for the page's rows alone.
_BM25 = """
WITH matched AS MATERIALIZED (
    SELECT c.id, c.document_id, c.page_number, c.char_start, c.char_end, length(c.search_vector)::float8 AS dl,
           {tfs}""" + _MATCHES + """
),
collection AS (
    SELECT greatest(coalesce(sum(s.chunks), 0), (SELECT count(*) FROM matched))::float8 AS n,
           coalesce(sum(s.lexemes)::float8 / nullif(sum(s.chunks), 0), (SELECT avg(dl) FROM matched)) AS avgdl
    FROM indexing_documentindexstats s
    JOIN documents_document d ON d.id = s.document_id
    WHERE d.owner_id = %(owner)s {stats_filter}
),
weights AS (SELECT {idfs} FROM (SELECT {dfs} FROM matched) df CROSS JOIN collection col),
scored AS (
    SELECT m.id, m.document_id, m.page_number, m.char_start, m.char_end, {bm25} AS score
    FROM matched m CROSS JOIN weights w CROSS JOIN collection col
)"""
_COVER_DENSITY = """
WITH scored AS (
    SELECT c.id, c.document_id, c.page_number, c.char_start, c.char_end,
           ts_rank_cd(c.search_vector, %(any)s::tsquery, %(normalization)s) AS score""" + _MATCHES + """
)"""
# One row per page: its best chunk, and the span of all its matching chunks, in one hash aggregate.
# max(ARRAY[score, -id]) is the best chunk, the lowest id among equals (arrays compare element by
# element; ids are exact in a float8): window functions per page would sort every match, a third
# of the query at 8,000 matches.
_PLACED = """,
pages AS (
    SELECT max(ARRAY[score, -id::float8]) AS best, min(char_start) AS span_start, max(char_end) AS span_end
    FROM scored
    GROUP BY document_id, page_number
)
SELECT -(best[2])::bigint AS id, best[1] AS score, span_start, span_end, count(*) OVER () AS total
FROM pages
ORDER BY best DESC
LIMIT %(limit)s OFFSET %(offset)s
"""
_COUNT = "SELECT count(DISTINCT (c.document_id, c.page_number))" + _MATCHES

_COPY = "COPY indexing_chunk (document_id, key, page_number, ordinal, char_start, char_end, text) FROM STDIN"
_STATS = """
INSERT INTO indexing_documentindexstats (document_id, chunks, lexemes)
SELECT %s, count(*), coalesce(sum(length(search_vector)), 0) FROM indexing_chunk WHERE document_id = %s
ON CONFLICT (document_id) DO UPDATE SET chunks = excluded.chunks, lexemes = excluded.lexemes
"""


def copy_chunks(rows: Iterable[tuple[int, str, int, int, int, int, str]]) -> None:
    """Insert chunk rows with COPY: the server fills the tsvector column and the GIN index, and
    COPY spares the per-row statement work of INSERT (measured: a fifth faster, bench/search.py)."""
    with connection.cursor() as cursor, cursor.cursor.copy(_COPY) as copy:
        for row in rows:
            copy.write_row(row)


def store_stats(document_id: int) -> None:
    """Count the document's chunks and their lexemes (BM25's collection statistics) into
    DocumentIndexStats; call it in the transaction that wrote them."""
    with connection.cursor() as cursor:
        cursor.execute(_STATS, [document_id, document_id])


class PostgresBackend:
    def __init__(self, ranking: Ranking | None = None) -> None:
        self.ranking = ranking or RANKING

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
        with connection.cursor() as cursor:
            cursor.execute(_LEXEMES, [CONFIG, query.scored])
            lexemes = [row[0] for row in cursor.fetchall()]
            if not lexemes:  # every word is one PostgreSQL's parser drops
                return Ranked([], 0)
            params: dict[str, object] = {
                "config": CONFIG, "any": " | ".join(f"({q})" for q in lexemes), "owner": owner_id,
                "k1": K1, "b": B, "normalization": RANK_NORMALIZATION, "limit": limit, "offset": offset,
            }  # fmt: skip
            sql = {"filter": "", "stats_filter": "", "constraints": _constraints(query, params)}
            if document_ids is not None:
                sql["filter"] = "AND c.document_id = ANY(%(documents)s)"
                sql["stats_filter"] = "AND s.document_id = ANY(%(documents)s)"
                params["documents"] = list(document_ids)
            if self.ranking == "bm25":
                params.update({f"q{i}": q for i, q in enumerate(lexemes)})
                template = _BM25.format(**sql, **_bm25_columns(len(lexemes)))
            else:
                template = _COVER_DENSITY.format(**sql)
            cursor.execute(template + _PLACED, params)
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][4])
            elif offset:  # past the last page: the count had no row to ride on
                cursor.execute(_COUNT.format(**sql), params)
                total = int(cursor.fetchone()[0])
            else:
                total = 0
        return Ranked([(int(r[0]), float(r[1])) for r in rows], total, {int(r[0]): (int(r[2]), int(r[3])) for r in rows})


def _bm25_columns(terms: int) -> dict[str, str]:
    """The per-term pieces of _BM25 for `terms` lexemes: tf<i> per match, its idf w<i>, the sum."""
    tf = [_TF.format(r=f"ts_rank('{{1,1,1,1}}', c.search_vector, %(q{i})s::tsquery, 0)") + f" AS tf{i}" for i in range(terms)]
    dfs = [f"count(*) FILTER (WHERE tf{i} > 0)::float8 AS df{i}" for i in range(terms)]
    idfs = [f"ln(1 + (col.n - df{i} + 0.5) / (df{i} + 0.5)) AS w{i}" for i in range(terms)]
    bm25 = [
        f"w.w{i} * m.tf{i} * (%(k1)s + 1) / (m.tf{i} + %(k1)s * (1 - %(b)s + %(b)s * m.dl / col.avgdl))" for i in range(terms)
    ]
    return {
        "tfs": ",\n           ".join(tf),
        "dfs": ", ".join(dfs),
        "idfs": ", ".join(idfs),
        "bm25": " + ".join(bm25),
    }


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
