"""Term proximity (indexing/search/proximity.py): the first pages of a keyword ranking re-sorted by
BM25 plus Büttcher et al.'s proximity score, the same on SQLite and PostgreSQL; the pages after
them, and every page of results, as before."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from indexing.models import Chunk
from indexing.search import SearchError, proximity, search
from indexing.search.backends import Collection, Ranked, keyword_backend
from indexing.search.snippets import stem

from .conftest import index, make_document
from .corpus import filler

pytestmark = pytest.mark.django_db


@pytest.fixture
def bm25_alone() -> Iterator[None]:
    proximity.ENABLED = False
    try:
        yield
    finally:
        proximity.ENABLED = True


def test_the_score_is_the_published_formula() -> None:
    # alpha@0 beta@1 (gamma) alpha@3: beta-alpha at 1 word, alpha-beta at 2.
    weights = {stem("alpha"): 2.0, stem("beta"): 0.5}
    alpha = 0.5 / 1 + 0.5 / 4  # beta's idf over each distance squared
    beta = 2.0 / 1 + 2.0 / 4
    k = 1.2 * (1 - 0.75 + 0.75 * 4 / 8)  # four words, the average eight
    expected = 1.0 * alpha * 2.2 / (alpha + k) + 0.5 * beta * 2.2 / (beta + k)  # min(1, idf) x saturated
    assert proximity.proximity("Alpha beta, gamma; ALPHA.", weights, 8.0) == pytest.approx(expected)


def test_only_different_words_side_by_side_count() -> None:
    weights = {stem("alpha"): 2.0, stem("beta"): 2.0}
    assert proximity.proximity("alpha alpha alpha", weights, 10.0) == 0.0
    assert proximity.proximity("nothing here", weights, 10.0) == 0.0
    near = proximity.proximity("alpha beta " + "filler " * 20, weights, 22.0)
    far = proximity.proximity("alpha " + "filler " * 20 + "beta", weights, 22.0)
    assert near > far > 0
    # Stems: "compressing" and "streams" are the query's "compress" and "stream".
    assert proximity.proximity("compressing streams", {stem("compress"): 2.0, stem("stream"): 2.0}, 2.0) > 0


def test_rerank_moves_only_the_head_and_keeps_the_rest() -> None:
    collection = Collection(100.0, 10.0, {"alpha": 1.0, "beta": 1.0})
    scored = [(i, 10.0 - i * 0.01) for i in range(1, proximity.DEPTH + 6)]
    texts = {i: "alpha filler filler filler filler beta" for i in range(1, proximity.DEPTH + 6)}
    texts[proximity.DEPTH] = "alpha beta"  # the last of the head, its words side by side
    texts[proximity.DEPTH + 1] = "alpha beta"  # just past the head: not re-sorted
    ranked = proximity.rerank(Ranked(scored, 99), texts, ["alpha", "beta"], collection)
    order = [chunk_id for chunk_id, _ in ranked.scored]
    assert order[0] == proximity.DEPTH and order[proximity.DEPTH :] == [i for i, _ in scored[proximity.DEPTH :]]
    assert ranked.total == 99
    # One word: nothing to be near.
    assert proximity.rerank(Ranked(scored, 99), texts, ["alpha"], collection).scored == scored


def _pages(user: Any) -> tuple[Any, Any]:
    # The same words, as often, in pages of the same length: BM25 cannot tell them apart.
    scattered = make_document(user, "Scattered", ["Deflate " + filler(1, 30) + " stream " + filler(2, 30) + "."])
    together = make_document(user, "Together", ["Deflate stream " + filler(1, 30) + " " + filler(2, 30) + "."])
    index(scattered)
    index(together)
    return scattered, together


def test_a_page_with_the_words_together_ranks_first(user: Any) -> None:
    scattered, together = _pages(user)
    hits = search(user, "how do I deflate a stream", mode="keyword").hits
    assert [h.document_title for h in hits] == ["Together", "Scattered"]
    assert hits[0].score > hits[1].score


def test_without_proximity_they_tie(user: Any, bm25_alone: None) -> None:
    _pages(user)
    hits = search(user, "how do I deflate a stream", mode="keyword").hits
    assert [h.document_title for h in hits] == ["Scattered", "Together"]  # the tie goes to the lower id
    assert hits[0].score == pytest.approx(hits[1].score)


def test_every_page_of_results_agrees_with_one_long_page(user: Any) -> None:
    documents = [
        make_document(user, f"Notes {d}", [f"{filler(d * 50 + p, 25)} enzyme {filler(d * 50 + p + 7, (p * 5) % 12)} substrate "
                                           f"{filler(d * 50 + p + 9, 31 - (p * 5) % 12)}." for p in range(15)])
        for d in range(3)
    ]  # fmt: skip
    for document in documents:
        index(document)
    query = "enzyme substrate"
    everything = [h.chunk_id for h in search(user, query, mode="keyword", limit=60).hits]
    assert len(everything) == 45
    for limit in (1, 7, 10, 25):
        paged = [h.chunk_id for offset in range(0, 45, limit) for h in search(user, query, mode="keyword", limit=limit, offset=offset).hits]
        assert paged == everything, limit
    # And the re-sorting did something here: proximity changed BM25's order within the head.
    proximity.ENABLED = False
    try:
        plain = [h.chunk_id for h in search(user, query, mode="keyword", limit=60).hits]
    finally:
        proximity.ENABLED = True
    assert plain != everything and sorted(plain[: proximity.DEPTH]) == sorted(everything[: proximity.DEPTH])
    assert plain[proximity.DEPTH :] == everything[proximity.DEPTH :]


def test_collection_statistics_are_the_engines(user: Any, other_user: Any) -> None:
    from django.db import connection

    mine = make_document(user, "Mine", ["enzyme substrate enzyme.", "enzyme only here.", filler(3, 40)])
    theirs = make_document(other_user, "Theirs", ["enzyme enzyme.", "substrate."])
    index(mine)
    index(theirs)
    stats = keyword_backend().collection(user.pk, ["enzyme", "substrate", "absent"], None)
    chunks = Chunk.objects.filter(document=mine) if connection.vendor == "postgresql" else Chunk.objects.all()
    # PostgreSQL's statistics are the user's own; FTS5's (and so SQLite's) the whole table's.
    assert stats.chunks == chunks.count()
    assert stats.average_words == pytest.approx(sum(c.words for c in chunks) / chunks.count())
    # By stem ("enzym", PostgreSQL's lexeme too).
    assert stats.frequencies == {
        stem("enzyme"): sum(1 for c in chunks if "enzyme" in c.text),
        stem("substrate"): sum(1 for c in chunks if "substrate" in c.text),
        "absent": 0,
    }
    assert stats.idf("absent") > stats.idf(stem("substrate")) > 0


def test_odd_queries_still_answer_plainly(user: Any) -> None:
    _pages(user)
    for query in ('"deflate stream"', "deflate -stream", "deflate OR stream", "stream stream deflate", "Deflate\u202estream 😀"):
        search(user, query, mode="keyword")
    with pytest.raises(SearchError):
        search(user, "how do I", mode="keyword")


def test_the_migration_fills_the_words_of_chunks_indexed_before(user: Any) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from indexing.chunking import count_words
    from indexing.models import DocumentIndexStats

    migration = importlib.import_module("indexing.migrations.0006_chunk_words")
    document = make_document(user, "Old", ["Deflate streams, as gzip wraps them.", filler(4, 300)])
    index(document)
    expected = {c.pk: count_words(c.text) for c in Chunk.objects.filter(document=document)}
    Chunk.objects.update(words=0)  # as the column's default left them
    DocumentIndexStats.objects.update(words=0, shortest=0)
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert dict(Chunk.objects.filter(document=document).values_list("pk", "words")) == expected
    stats = DocumentIndexStats.objects.get(document=document)
    assert (stats.words, stats.shortest) == (sum(expected.values()), min(expected.values())) and stats.shortest == 6
