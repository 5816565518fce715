"""Ranked retrieval (BM25 over the query's informative words) on the session's database: the same
orders on SQLite (FTS5 bm25()) and PostgreSQL (BM25 computed in SQL, postgres.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from documents.models import Document
from indexing.search import SearchError, search

from .conftest import index, make_document
from .corpus import filler

pytestmark = pytest.mark.django_db

DEFLATE = "To compress a stream, pipe it through zlib.createDeflate(); deflate streams are what gzip wraps."
CHARGE = "You may charge any retail price or no price for each copy that you convey, and you may offer support for a fee."
LICENSE = "This License applies to any program or other work: copies of the program may be distributed."
MONEY = "Money is a medium of exchange; a price is how much money a seller asks."


@pytest.fixture
def notes(user: Any) -> dict[str, Document]:
    documents = {
        "zlib": make_document(user, "zlib", [filler(1, 60) + " " + DEFLATE, filler(2)]),
        "gpl": make_document(user, "GPL", [LICENSE + " " + filler(3, 80), CHARGE + " " + filler(4, 80)]),
        "economics": make_document(user, "Economics", [MONEY + " " + filler(5, 80)]),
        "history": make_document(user, "History", [filler(6 + i) for i in range(4)]),
    }
    for document in documents.values():
        index(document)
    return documents


def where(results: Any) -> list[tuple[str, int]]:
    return [(h.document_title, h.page_number) for h in results.hits]


def test_a_natural_question_finds_the_passage_without_every_word(notes: dict[str, Document], user: Any) -> None:
    # Neither passage has every word of the question (the old AND found nothing).
    assert where(search(user, "how do I compress a stream with deflate"))[0] == ("zlib", 1)
    results = search(user, "can I charge money for copies of GPL software")
    assert where(results)[0] == ("GPL", 2)
    # A chunk with none of the informative words is not returned at all.
    assert ("History", 1) not in where(search(user, "can I charge money for copies of GPL software", limit=100))
    assert {t for t, _ in where(search(user, "deflate", limit=100))} == {"zlib"}


def test_more_of_the_informative_words_rank_higher(notes: dict[str, Document], user: Any) -> None:
    # "price" and "copy" are in the GPL page, "price" and "money" in the economics one.
    ranked = where(search(user, "price of a copy", limit=100))
    assert ranked[0] == ("GPL", 2) and ("Economics", 1) in ranked
    ranked = where(search(user, "money price", limit=100))
    assert ranked[0] == ("Economics", 1) and ("GPL", 2) in ranked
    scores = [h.score for h in search(user, "money price", limit=100).hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_words_are_stemmed(notes: dict[str, Document], user: Any) -> None:
    assert where(search(user, "compressing deflated streaming"))[0] == ("zlib", 1)
    assert where(search(user, "charging prices"))[0] == ("GPL", 2)


def test_the_operators_are_constraints(notes: dict[str, Document], user: Any) -> None:
    # A phrase must be in the chunk: the economics page has "price", never "retail price".
    assert where(search(user, '"retail price" money', limit=100)) == [("GPL", 2)]
    assert where(search(user, "price -copy", limit=100)) == [("Economics", 1)]
    assert set(where(search(user, "price -copy -money", limit=100))) == set()
    # An `or` group: one of its terms must be there; the other words only rank.
    either = where(search(user, "(deflate OR money) price", limit=100))
    assert set(either) == {("zlib", 1), ("Economics", 1)} and either[0] == ("Economics", 1)


@pytest.mark.parametrize("query", ["how do I", "what is it", "can you do that", "the", "a an the of"])
def test_only_stop_words_is_a_400_saying_why(
    notes: dict[str, Document], user: Any, api_for: Callable[[Any], APIClient], query: str
) -> None:
    with pytest.raises(SearchError, match="only common words"):
        search(user, query)
    response = api_for(user).get("/api/search/", {"q": query})
    assert response.status_code == 400 and "only common words" in response.json()["message"]


def test_a_rare_word_outweighs_a_common_one(user: Any) -> None:
    common = [make_document(user, f"Common {i}", [f"The lecture covers topic {i}. " + filler(20 + i, 40)]) for i in range(6)]
    rare = make_document(user, "Rare", ["A lecture on the glycocalyx. " + filler(40, 40)])
    lecture_twice = make_document(user, "Twice", ["Lecture after lecture. " + filler(41, 40)])
    for document in [*common, rare, lecture_twice]:
        index(document)
    assert where(search(user, "glycocalyx lecture"))[0] == ("Rare", 1)


def test_term_frequency_saturates_and_long_chunks_do_not_win_by_size(user: Any) -> None:
    once = make_document(user, "Once", ["Osmosis moves water. " + filler(50, 30)])
    thrice = make_document(user, "Thrice", ["Osmosis, osmosis and osmosis moves water. " + filler(51, 30)])
    long = make_document(user, "Long", ["Osmosis moves water. " + filler(52, 160)])
    for document in (once, thrice, long):
        index(document)
    assert where(search(user, "osmosis")) == [("Thrice", 1), ("Once", 1), ("Long", 1)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's term frequency from ts_rank")
def test_postgres_recovers_term_frequency_from_ts_rank() -> None:
    from indexing.search.postgres import _TF

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT n, {_TF.format(r='r')} FROM (SELECT n, ts_rank('{{1,1,1,1}}',"
            " to_tsvector('english', repeat('deflate ', n)), to_tsquery('english', 'deflate'), 0) AS r"
            " FROM generate_series(1, 255) AS n) s"
        )
        rows = cursor.fetchall()
    assert [int(tf) for _, tf in rows] == [n for n, _ in rows]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's BM25, computed in SQL")
def test_postgres_scores_are_bm25_over_the_users_own_chunks(notes: dict[str, Document], user: Any, other_user: Any) -> None:
    """The engine's scores equal BM25 computed here from the chunks' tsvectors (unnest: an
    independent way to the term frequencies) and their words (stop words included, as FTS5 counts
    a chunk's length), with the user's chunk count, average length and document frequencies."""
    import math

    from indexing.search.postgres import B, K1, PostgresBackend
    from indexing.search.query import parse

    # Another user's chunks full of the words must not change the scores.
    index(make_document(other_user, "Noise", ["price money copy " * 50, "price " * 80]))
    query = "price money copy"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, c.words, u.lexeme, coalesce(array_length(u.positions, 1), 0)"
            " FROM indexing_chunk c JOIN documents_document d ON d.id = c.document_id"
            " LEFT JOIN LATERAL unnest(c.search_vector) u ON u.lexeme IN ('price', 'money', 'copi')"
            " WHERE d.owner_id = %s",
            [user.pk],
        )
        rows = cursor.fetchall()
    lengths = {chunk: dl for chunk, dl, _, _ in rows}
    tf: dict[tuple[int, str], int] = {(chunk, lexeme): n for chunk, _, lexeme, n in rows if lexeme}
    n, avgdl = len(lengths), sum(lengths.values()) / len(lengths)
    df = {t: sum(1 for (_, lexeme) in tf if lexeme == t) for t in ("price", "money", "copi")}

    def bm25(chunk: int) -> float:
        total = 0.0
        for term, count in df.items():
            f = tf.get((chunk, term), 0)
            idf = math.log(1 + (n - count + 0.5) / (count + 0.5))
            total += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * lengths[chunk] / avgdl))
        return total

    ranked = PostgresBackend().rank(user.pk, parse(query), None, 100, 0).scored
    assert len(ranked) == len({c for c, _ in tf})  # one chunk per page here
    for chunk_id, score in ranked:
        assert score == pytest.approx(bm25(chunk_id), rel=1e-5)


def test_index_stats_follow_the_chunks(user: Any) -> None:
    from indexing.models import Chunk, DocumentIndexStats
    from indexing.search import remove_document

    document = make_document(user, "Stats", ["Osmosis. " * 300, "Diffusion. " * 10])
    index(document)
    stats = DocumentIndexStats.objects.get(document=document)
    assert stats.chunks == Chunk.objects.filter(document=document).count() > 2
    lengths = [c.words for c in Chunk.objects.filter(document=document)]
    assert stats.words == sum(lengths) > 310 and stats.shortest == min(lengths) == 10  # the chunks overlap
    page = document.pages.get(number=1)
    page.text = "Short now."
    page.save()
    index(document)
    assert DocumentIndexStats.objects.get(document=document).chunks == 2
    remove_document(document.pk)
    assert not DocumentIndexStats.objects.filter(document=document).exists()
    index(document)
    document.delete()
    assert not DocumentIndexStats.objects.exists()
