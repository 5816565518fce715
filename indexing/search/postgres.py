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
  `DocumentIndexStats`; a chunk's length is its `words` (stop words included), as FTS5's bm25()
  counts it on SQLite, so both engines rank alike.
The statistics are the user's own: another user's documents never change the order of yours.

Skipping what cannot rank (MaxScore, Turtle & Flood 1995): a chunk's score from one word is below
that word's idf x (k1 + 1) whatever its tf, so once some pages are known to score at least t, a
chunk holding only common words whose bounds sum below t cannot reach the page asked for. With
the document frequencies known before any chunk is read (`LexemeCount`, written with the chunks),
a query of plain words first ranks the chunks of its rarest words, takes the score of the last
page asked for as t, and reads the common words' chunks only if their bounds could beat it. The
pages returned, their order and scores are those of ranking every match; what is no longer read
for a pruned query is the exact number of pages matching some word: `total` is then counted over
the first TOTAL_COUNT_CHUNKS matching chunks and marked a lower bound (as Lucene and
Elasticsearch count hits only up to a threshold, for the same reason).
`PostgresBackend("ts_rank_cd")` ranks by PostgreSQL's cover density instead (bench/search_quality.py
measures it against BM25: it loses clearly).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Literal

from django.db import connection, transaction

from .backends import B, K1, Collection, Ranked
from .query import KeywordQuery, Term

# Skip the chunks that cannot rank (MaxScore, above); False ranks every match (tests compare).
PRUNING = True
# Must match the configuration of the generated column (migrations/0002_fulltext).
CONFIG = "english"
Ranking = Literal["bm25", "ts_rank_cd"]
RANKING: Ranking = "bm25"
# ts_rank_cd's 1: divide by 1 + log(length), so long chunks do not win by size; 32: scale to 0..1.
RANK_NORMALIZATION = 1 | 32
# tf from r = ts_rank('{1,1,1,1}', v, 'term', 0) = H(tf) / zeta(2): the tail zeta(2) - H(n) is
# 1/(n + 1/2) to within 1/(12 n^3), so n = 1/tail - 1/2, rounded: exact up to n = 255 (ts_rank is
# a float4; a tsvector keeps at most 256 positions of a lexeme anyway).
_TF = "round(1 / (1.6449340668482264 * (1 - {r}::float8)) - 0.5)"

# The distinct lexemes of the scored words, as PostgreSQL's parser and stemmer make them (a stop
# word gives an empty query, left out), each with how often the query says it (BM25's query-term
# frequency, as FTS5's bm25() counts a repeated phrase). Sorted, so a query's SQL text is stable.
_LEXEMES = """
SELECT q, count(*), CASE WHEN min(nodes) = 1 THEN (tsvector_to_array(q::tsvector))[1] END
FROM (SELECT p::text AS q, numnode(p) AS nodes FROM (SELECT plainto_tsquery(%s::regconfig, w) AS p FROM unnest(%s::text[]) AS w) s) t
WHERE nodes > 0 GROUP BY 1 ORDER BY 1
"""
# What MaxScore needs before reading a chunk: each word's document frequency among the user's
# (filtered) chunks, the chunk count and the average length.
_DOCUMENT_FREQUENCIES = """
SELECT l.lexeme, sum(l.chunks)::float8, max(l.most)::float8 FROM indexing_lexemecount l JOIN documents_document d ON d.id = l.document_id
WHERE d.owner_id = %(owner)s AND l.lexeme = ANY(%(lexemes)s) {lexeme_filter}
GROUP BY l.lexeme
"""
_COLLECTION = """
SELECT coalesce(sum(s.chunks), 0)::float8, coalesce(sum(s.words)::float8 / nullif(sum(s.chunks), 0), 0),
       coalesce(min(s.shortest), 0)::float8
FROM indexing_documentindexstats s JOIN documents_document d ON d.id = s.document_id
WHERE d.owner_id = %(owner)s {stats_filter}
"""
# How many pages a pruned query matches, counted over its first matching chunks only.
TOTAL_COUNT_CHUNKS = 1000
_BOUNDED_COUNT = """
SELECT count(*), count(DISTINCT (document_id, page_number)) FROM (
    SELECT c.document_id, c.page_number""" + "{matches}" + """
    LIMIT %(count_chunks)s
) s"""
# The span of every matching chunk of the pages returned (a pruned ranking read only some).
_SPANS = """
SELECT c.document_id, c.page_number, min(c.char_start), max(c.char_end)
FROM indexing_chunk c
WHERE c.document_id = ANY(%(span_documents)s) AND c.search_vector @@ %(any)s::tsquery
  AND (c.document_id, c.page_number) IN (SELECT * FROM unnest(%(span_documents)s::bigint[], %(span_pages)s::int[]))
GROUP BY 1, 2
"""
_MATCHES = """
    FROM indexing_chunk c
    JOIN documents_document d ON d.id = c.document_id
    WHERE c.search_vector @@ %(any)s::tsquery AND d.owner_id = %(owner)s {filter} {constraints}"""
# Matches are read once: place, length and one term frequency per query lexeme (cheap: ts_rank
# finds a lexeme by binary search); the text is fetched for the page's rows alone.
_BM25 = """
WITH matched AS MATERIALIZED (
    SELECT c.id, c.document_id, c.page_number, c.char_start, c.char_end, c.words::float8 AS dl,
           {tfs}""" + _MATCHES + """
),
collection AS (
    SELECT greatest(coalesce(sum(s.chunks), 0), (SELECT count(*) FROM matched))::float8 AS n,
           coalesce(sum(s.words)::float8 / nullif(sum(s.chunks), 0), (SELECT avg(dl) FROM matched)) AS avgdl
    FROM indexing_documentindexstats s
    JOIN documents_document d ON d.id = s.document_id
    WHERE d.owner_id = %(owner)s {stats_filter}
),
weights AS (SELECT {idfs} FROM (SELECT {dfs} FROM matched) df CROSS JOIN collection col),
scored AS (
    SELECT m.id, m.document_id, m.page_number, m.char_start, m.char_end, {bm25} AS score
    FROM matched m CROSS JOIN weights w CROSS JOIN collection col
)"""
# The same BM25 with the weights (qtf x idf) and the collection given, over the chunks matching
# `candidates`, a subset of the words (the others are still scored where the chunk has them).
_BM25_KNOWN = """
WITH matched AS MATERIALIZED (
    SELECT c.id, c.document_id, c.page_number, c.char_start, c.char_end, c.words::float8 AS dl,
           {tfs}""" + _MATCHES.replace("%(any)s", "%(candidates)s") + """
),
scored AS (
    SELECT m.id, m.document_id, m.page_number, m.char_start, m.char_end, {bm25} AS score FROM matched m
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
    SELECT document_id, page_number, max(ARRAY[score, -id::float8]) AS best,
           min(char_start) AS span_start, max(char_end) AS span_end
    FROM scored
    GROUP BY document_id, page_number
)
SELECT -(best[2])::bigint AS id, best[1] AS score, span_start, span_end, count(*) OVER () AS total,
       document_id, page_number
FROM pages
ORDER BY best DESC
LIMIT %(limit)s OFFSET %(offset)s
"""
_COUNT = "SELECT count(DISTINCT (c.document_id, c.page_number))" + _MATCHES

_COPY = "COPY indexing_chunk (document_id, key, page_number, ordinal, char_start, char_end, text, words) FROM STDIN"
_STATS = """
INSERT INTO indexing_documentindexstats (document_id, chunks, words, shortest)
SELECT %s, count(*), coalesce(sum(words), 0), coalesce(min(words), 0)
FROM indexing_chunk WHERE document_id = %s
ON CONFLICT (document_id) DO UPDATE SET chunks = excluded.chunks, words = excluded.words, shortest = excluded.shortest
"""


def copy_chunks(rows: Iterable[tuple[int, str, int, int, int, int, str, int]]) -> None:
    """Insert chunk rows with COPY: the server fills the tsvector column and the GIN index, and
    COPY spares the per-row statement work of INSERT (measured: a fifth faster, bench/search.py)."""
    with connection.cursor() as cursor, cursor.cursor.copy(_COPY) as copy:
        for row in rows:
            copy.write_row(row)


_LEXEME_COUNTS = """
INSERT INTO indexing_lexemecount (document_id, lexeme, chunks, most)
SELECT %s, u.lexeme, count(*), max(cardinality(u.positions)) FROM indexing_chunk c, unnest(c.search_vector) u
WHERE c.document_id = %s GROUP BY u.lexeme
"""


def store_stats(document_id: int) -> None:
    """Count the document's chunks and their words (BM25's collection statistics) into
    DocumentIndexStats, and its chunks per lexeme into LexemeCount; call it in the transaction
    that wrote them."""
    with connection.cursor() as cursor:
        cursor.execute(_STATS, [document_id, document_id])
        cursor.execute("DELETE FROM indexing_lexemecount WHERE document_id = %s", [document_id])
        cursor.execute(_LEXEME_COUNTS, [document_id, document_id])


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
            cursor.execute(_LEXEMES, [CONFIG, query.occurrences])
            counted = cursor.fetchall()
            lexemes = [row[0] for row in counted]
            if not lexemes:  # every word is one PostgreSQL's parser drops
                return Ranked([], 0)
            params: dict[str, object] = {
                "config": CONFIG, "any": " | ".join(f"({q})" for q in lexemes), "owner": owner_id,
                "k1": K1, "b": B, "normalization": RANK_NORMALIZATION, "limit": limit, "offset": offset,
            }  # fmt: skip
            sql = {**_filters(document_ids, params), "constraints": _constraints(query, params)}
            if self.ranking != "bm25":
                return _run(cursor, _COVER_DENSITY.format(**sql), sql, params)
            params.update({f"q{i}": q for i, q in enumerate(lexemes)})
            params.update({f"qtf{i}": int(count) for i, (_, count, _) in enumerate(counted)})
            words = [lexeme for _, _, lexeme in counted]
            if not PRUNING or query.required or query.excluded or None in words:
                # Constraints (or a word the parser splits, such as "e-mail") make the matches few
                # or the frequencies other than one lexeme's: rank every match.
                return _run(cursor, _BM25.format(**sql, **_bm25_columns(len(lexemes))), sql, params)
            return _rank_pruned(cursor, lexemes, [int(c) for _, c, _ in counted], words, sql, params, offset, limit)

    def collection(self, owner_id: int, words: Sequence[str], document_ids: Sequence[int] | None) -> Collection:
        params: dict[str, object] = {"owner": owner_id}
        sql = _filters(document_ids, params)
        with connection.cursor() as cursor:
            cursor.execute(_LEXEMES, [CONFIG, list(words)])
            lexemes = [lexeme for _, _, lexeme in cursor.fetchall() if lexeme is not None]
            return _statistics(cursor, lexemes, sql, params)[0]


def _filters(document_ids: Sequence[int] | None, params: dict[str, object]) -> dict[str, str]:
    """The SQL that keeps the matches, the collection and the lexeme counts to `document_ids`
    (all the owner's documents when None), its parameter added to `params`."""
    if document_ids is None:
        return {"filter": "", "stats_filter": "", "lexeme_filter": ""}
    params["documents"] = list(document_ids)
    return {
        "filter": "AND c.document_id = ANY(%(documents)s)",
        "stats_filter": "AND s.document_id = ANY(%(documents)s)",
        "lexeme_filter": "AND l.document_id = ANY(%(documents)s)",
    }


def _statistics(
    cursor: Any, lexemes: list[str], sql: dict[str, str], params: dict[str, object]
) -> tuple[Collection, float, dict[str, float]]:
    """What BM25 and MaxScore read before any chunk, from the counts kept with the chunks: the
    collection (chunk count, average length, each lexeme's chunks), the shortest chunk's length
    and each lexeme's highest tf in one chunk."""
    params["lexemes"] = lexemes
    cursor.execute(_DOCUMENT_FREQUENCIES.format(**sql), params)
    rows = cursor.fetchall()
    cursor.execute(_COLLECTION.format(**sql), params)
    n, avgdl, shortest = cursor.fetchone()
    counts = {lexeme: float(count) for lexeme, count, _ in rows}
    collection = Collection(float(n), float(avgdl), {lexeme: counts.get(lexeme, 0.0) for lexeme in lexemes})
    return collection, float(shortest), {lexeme: float(most) for lexeme, _, most in rows}


def _run(cursor: Any, template: str, sql: dict[str, str], params: dict[str, object]) -> Ranked:
    """Rank every match of `params["any"]`, `total` exact."""
    cursor.execute(template + _PLACED, params)
    return _run_total(cursor, cursor.fetchall(), sql, params)


def _ranked(rows: Sequence[Sequence[Any]], total: int, exact: bool = True) -> Ranked:
    return Ranked(
        [(int(r[0]), float(r[1])) for r in rows], total, {int(r[0]): (int(r[2]), int(r[3])) for r in rows}, exact
    )


def _rank_pruned(
    cursor: Any, tsqueries: list[str], qtfs: list[int], words: list[str], sql: dict[str, str],
    params: dict[str, object], offset: int, limit: int,
) -> Ranked:  # fmt: skip
    """BM25 over the matches that can reach the first offset + limit pages (MaxScore, module docstring)."""
    wanted = offset + limit
    collection, shortest, most = _statistics(cursor, words, sql, params)
    if not collection.chunks or not collection.average_words:  # no statistics (not indexed since): read everything
        return _run(cursor, _BM25.format(**sql, **_bm25_columns(len(tsqueries))), sql, params)
    df, avgdl = collection.frequencies, collection.average_words
    weights = [qtf * collection.idf(w) for w, qtf in zip(words, qtfs)]
    # A word's most: its idf times the BM25 tf factor at its highest tf in the shortest chunk (the
    # factor grows with tf and shrinks with length), tighter than idf x (k1 + 1).
    bounds = [weight * _tf_factor(most.get(w, 256), shortest, avgdl) for w, weight in zip(words, weights)]
    params.update({f"w{i}": weight for i, weight in enumerate(weights)})
    params["avgdl"] = avgdl
    scoring = _BM25_KNOWN.format(**sql, **_bm25_columns(len(tsqueries), known=True)) + _PLACED
    # The words of highest bound (the rarer) first; enough of them to hold `wanted` chunks.
    order = sorted(range(len(words)), key=lambda i: -bounds[i])
    first: list[int] = []
    for i in order:
        first.append(i)
        if sum(df.get(words[j], 0) for j in first) >= wanted:
            break

    def ranked_by(candidates: list[int]) -> list[Any]:
        params["candidates"] = " | ".join(f"({tsqueries[i]})" for i in candidates)
        cursor.execute(scoring, params)
        return cursor.fetchall()

    rows = ranked_by(first)
    if len(first) < len(words):
        # The score of the last page asked for, if the rarest words fill that many pages: the
        # common words whose bounds sum below it cannot lift a chunk holding only them that high.
        threshold = float(rows[-1][1]) if len(rows) == limit else 0.0
        bound, essential = 0.0, list(order)
        for i in reversed(order):
            bound += bounds[i] * (1 + 1e-9)  # a chunk at a word's bound scores it exactly: float slack
            if bound >= threshold:
                break
            essential.remove(i)
        if len(essential) > len(first):
            rows = ranked_by(essential)
        first = essential if len(essential) > len(first) else first
    if len(first) == len(words):  # every match was ranked: its count is exact
        return replace(_run_total(cursor, rows, sql, params), collection=collection)
    total, exact = _bounded_total(cursor, sql, params)
    # A lower bound, and never below the pages this answer already reaches.
    total = max(total, offset + len(rows)) if rows else total
    return replace(_with_full_spans(cursor, rows, str(params["any"]), total, exact), collection=collection)


def _tf_factor(tf: float, length: float, avgdl: float) -> float:
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))


def _run_total(cursor: Any, rows: Sequence[Sequence[Any]], sql: dict[str, str], params: dict[str, object]) -> Ranked:
    """`rows` of a ranking that read every match, with their exact count."""
    if rows:
        return _ranked(rows, int(rows[0][4]))
    if params["offset"]:  # past the last page: the count had no row to ride on
        cursor.execute(_COUNT.format(**sql), params)
        return _ranked(rows, int(cursor.fetchone()[0]))
    return _ranked(rows, 0)


def _bounded_total(cursor: Any, sql: dict[str, str], params: dict[str, object]) -> tuple[int, bool]:
    """Pages matching any word, counted over the first TOTAL_COUNT_CHUNKS matching chunks: exact
    when there are fewer, else a lower bound."""
    params["count_chunks"] = TOTAL_COUNT_CHUNKS
    cursor.execute(_BOUNDED_COUNT.format(matches=_MATCHES.format(**sql)), params)
    chunks, pages = cursor.fetchone()
    return int(pages), int(chunks) < TOTAL_COUNT_CHUNKS


def _with_full_spans(cursor: Any, rows: Sequence[Sequence[Any]], any_word: str, total: int, exact: bool) -> Ranked:
    """The ranked pages, each page's span over all its matching chunks (a pruned ranking read
    only the chunks of the rarer words)."""
    if not rows:
        return Ranked([], total, {}, exact)
    params = {"any": any_word, "span_documents": [int(r[5]) for r in rows], "span_pages": [int(r[6]) for r in rows]}
    cursor.execute(_SPANS, params)
    spans = {(int(d), int(p)): (int(a), int(b)) for d, p, a, b in cursor.fetchall()}
    fixed = [(r[0], r[1], *spans.get((int(r[5]), int(r[6])), (r[2], r[3]))) for r in rows]
    return _ranked(fixed, total, exact)


def _bm25_columns(terms: int, known: bool = False) -> dict[str, str]:
    """The per-term pieces of _BM25 for `terms` lexemes: tf<i> per match, its idf w<i>, the sum;
    `known`: the pieces of _BM25_KNOWN, whose weights and average length are parameters."""
    if known:
        return {
            "tfs": ",\n           ".join(
                _TF.format(r=f"ts_rank('{{1,1,1,1}}', c.search_vector, %(q{i})s::tsquery, 0)") + f" AS tf{i}" for i in range(terms)
            ),
            "bm25": " + ".join(
                f"%(w{i})s * m.tf{i} * (%(k1)s + 1) / (m.tf{i} + %(k1)s * (1 - %(b)s + %(b)s * m.dl / %(avgdl)s))"
                for i in range(terms)
            ),
        }
    tf = [_TF.format(r=f"ts_rank('{{1,1,1,1}}', c.search_vector, %(q{i})s::tsquery, 0)") + f" AS tf{i}" for i in range(terms)]
    dfs = [f"count(*) FILTER (WHERE tf{i} > 0)::float8 AS df{i}" for i in range(terms)]
    idfs = [f"ln(1 + (col.n - df{i} + 0.5) / (df{i} + 0.5)) AS w{i}" for i in range(terms)]
    bm25 = [
        f"%(qtf{i})s * w.w{i} * m.tf{i} * (%(k1)s + 1) / (m.tf{i} + %(k1)s * (1 - %(b)s + %(b)s * m.dl / col.avgdl))" for i in range(terms)
    ]
    return {
        "tfs": ",\n           ".join(tf),
        "dfs": ", ".join(dfs),
        "idfs": ", ".join(idfs),
        "bm25": " + ".join(bm25),
    }


def _constraints(query: KeywordQuery, params: dict[str, object]) -> str:
    """The phrases and `OR` groups the chunk must match and the groups it must not, as SQL over
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
