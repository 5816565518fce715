"""MaxScore on PostgreSQL (indexing/search/postgres.py): a query of plain words skips the chunks of
its common words that cannot reach the page asked for, and returns exactly what ranking every
match returns (pages, order, scores, spans); only the count becomes a lower bound. And the
per-lexeme statistics it reads (LexemeCount) follow the chunks: written, replaced, deleted."""
from __future__ import annotations

import random
from typing import Any

import pytest
from django.db import connection

from documents.models import Document
from documents.tasks import delete_document
from indexing.models import DocumentIndexStats, LexemeCount
from indexing.search import postgres, search

from .conftest import index, make_document
from .corpus import filler

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="MaxScore is PostgreSQL's (FTS5 ranks in bm25())"),
]


def _page(rng: random.Random, words: list[str]) -> str:
    """A short page (one chunk) holding each of `words` once or twice among filler words."""
    body = filler(rng.randrange(10_000), rng.randint(20, 60)).split()
    for word in words:
        for _ in range(rng.randint(1, 2)):
            body.insert(rng.randrange(len(body)), word)
    return " ".join(body) + "."


@pytest.fixture
def library(user: Any) -> list[Document]:
    """Three documents: "ubiquitous" on nearly every page, "frequent" on a third (several times on
    some), "scarce" on a few, half of them with "frequent" too."""
    rng = random.Random(5)
    documents = []
    for d in range(3):
        pages = []
        for p in range(40):
            words = ["ubiquitous"] if rng.random() < 0.9 else []
            if rng.random() < 0.33:
                words.append("frequent")
            if p % 9 == d:
                words += ["scarce", "frequent"] if p % 2 else ["scarce"]
            if p % 7 == 3:
                words += ["frequent"] * 4  # pages of the common words that outrank some scarce ones
            pages.append(_page(rng, words))
        documents.append(make_document(user, f"Library {d}", pages))
    for document in documents:
        index(document)
    return documents


def _hits(results: Any) -> list[tuple[int, float, int, int]]:
    return [(h.chunk_id, round(h.score, 6), h.span_start, h.span_end) for h in results.hits]


def _everything(user: Any, query: str, **kwargs: Any) -> Any:
    postgres.PRUNING = False
    try:
        return search(user, query, mode="keyword", **kwargs)
    finally:
        postgres.PRUNING = True


@pytest.mark.parametrize(
    "query", ["ubiquitous frequent scarce", "scarce ubiquitous", "frequent ubiquitous", "scarce scarce frequent"]
)
def test_a_pruned_ranking_is_the_ranking_of_every_match(library: list[Document], user: Any, query: str) -> None:
    full = _everything(user, query, limit=100)
    assert full.total_exact and full.total >= len(full.hits) > 30
    for limit in (1, 3, 10):
        pages = [search(user, query, mode="keyword", limit=limit, offset=offset) for offset in range(0, 30, limit)]
        assert [hit for page in pages for hit in _hits(page)] == _hits(full)[: len(range(0, 30, limit)) * limit]
        for page in pages:
            assert page.total <= full.total
            assert page.total == full.total or not page.total_exact


def test_the_common_word_is_skipped(library: list[Document], user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.backends.utils import CursorWrapper

    read: list[str] = []  # the words whose chunks a ranking query read
    execute = CursorWrapper.execute

    def spy(self: Any, sql: str, params: Any = None) -> Any:
        if isinstance(params, dict) and "candidates" in params:
            read.append(str(params["candidates"]))
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", spy)
    pruned = search(user, "ubiquitous frequent scarce", mode="keyword", limit=3)
    assert read and not any("ubiquit" in candidates for candidates in read)
    monkeypatch.setattr(CursorWrapper, "execute", execute)
    full = _everything(user, "ubiquitous frequent scarce", limit=3)
    assert _hits(pruned) == _hits(full)
    # The count was taken over the first TOTAL_COUNT_CHUNKS matching chunks: here every one.
    assert pruned.total_exact and pruned.total == full.total


def test_a_common_word_that_can_outrank_the_rare_one_is_read(user: Any) -> None:
    """The rare word fills two pages and sits once in long ones; the common one three times in
    short pages. The fifth page asked for scores below the common word's bound, so its chunks
    must be read, and they rank third to fifth."""
    rare = make_document(
        user, "Rare", ["scarce " * 5 + filler(p, 8) for p in range(2)] + [filler(10 + p, 60) + " scarce." for p in range(10)]
    )
    dense = make_document(user, "Dense", ["frequent frequent frequent " + filler(50 + p, 8) for p in range(20)])
    plain = make_document(user, "Plain", [filler(80 + p, 40) for p in range(40)])
    for document in (rare, dense, plain):
        index(document)
    full = _everything(user, "scarce frequent", limit=5)
    assert [h.document_id for h in full.hits] == [rare.pk] * 2 + [dense.pk] * 3  # the test means something
    for limit, offset in ((3, 0), (5, 0), (5, 10), (5, 20)):
        pruned = search(user, "scarce frequent", mode="keyword", limit=limit, offset=offset)
        assert _hits(pruned) == _hits(_everything(user, "scarce frequent", limit=limit, offset=offset))


def test_pruning_keeps_the_document_filter_and_the_owner(library: list[Document], user: Any, other_user: Any) -> None:
    index(make_document(other_user, "Theirs", ["scarce scarce scarce frequent " * 5] * 8))
    chosen = [library[0].pk, library[2].pk]
    pruned = search(user, "ubiquitous frequent scarce", chosen, mode="keyword", limit=3)
    full = _everything(user, "ubiquitous frequent scarce", document_ids=chosen, limit=3)
    assert _hits(pruned) == _hits(full) and pruned.hits
    assert {h.document_id for h in pruned.hits} <= set(chosen)


def test_the_count_is_a_lower_bound_past_the_chunks_it_counts(
    library: list[Document], user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "TOTAL_COUNT_CHUNKS", 10)
    full = _everything(user, "ubiquitous frequent scarce", limit=3)
    pruned = search(user, "ubiquitous frequent scarce", mode="keyword", limit=3)
    # (Counted over 10 chunks, then raised to the DEPTH pages proximity.py re-sorts, which it reached.)
    assert not pruned.total_exact and 3 <= pruned.total < full.total
    assert _hits(pruned) == _hits(full)
    # Further on than it counted: the bound still covers the pages this answer reaches.
    deep = search(user, "ubiquitous frequent scarce", mode="keyword", limit=3, offset=12)
    assert deep.hits and not deep.total_exact and deep.total >= 12 + len(deep.hits)


def test_the_api_says_when_its_count_is_a_lower_bound(
    library: list[Document], user: Any, api_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "TOTAL_COUNT_CHUNKS", 10)
    body = api_for(user).get("/api/search/", {"q": "ubiquitous frequent scarce", "mode": "keyword", "page_size": 3}).json()
    assert body["count_exact"] is False and body["next"] and len(body["results"]) == 3
    body = api_for(user).get("/api/search/", {"q": "scarce", "mode": "keyword", "page_size": 3}).json()
    assert body["count_exact"] is True


def _counted(document: Document) -> dict[str, tuple[int, int]]:
    """Chunks per lexeme and the highest tf, from the chunks' own tsvectors."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.lexeme, count(*), max(cardinality(u.positions)) FROM indexing_chunk c, unnest(c.search_vector) u"
            " WHERE c.document_id = %s GROUP BY 1",
            [document.pk],
        )
        return {lexeme: (chunks, most) for lexeme, chunks, most in cursor.fetchall()}


def _stored(document: Document) -> dict[str, tuple[int, int]]:
    return {row.lexeme: (row.chunks, row.most) for row in LexemeCount.objects.filter(document=document)}


def test_lexeme_counts_follow_the_chunks(user: Any) -> None:
    document = make_document(user, "Counted", ["deflate deflate stream. " + filler(1, 300), "inflate stream."])
    index(document)
    assert _stored(document) == _counted(document) and _stored(document)["deflat"] == (1, 2)
    stats = DocumentIndexStats.objects.get(document=document)
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(words) FROM indexing_chunk WHERE document_id = %s", [document.pk])
        assert stats.shortest == cursor.fetchone()[0] > 0
    document.pages.filter(number=1).update(text="gzip wraps deflate.")
    index(document)
    assert _stored(document) == _counted(document) and "stream" in _stored(document) and _stored(document)["deflat"] == (1, 1)
    delete_document(document)
    assert not LexemeCount.objects.filter(document_id=document.pk).exists()

