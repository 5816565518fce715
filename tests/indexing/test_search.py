"""Keyword search on the session's database (CI runs it on PostgreSQL and on SQLite)."""
from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from documents.models import Document
from indexing.chunking import split_pages
from indexing.indexer import write_chunks
from indexing.models import Chunk
from indexing.search import SearchError, search

from ..conftest import db_thread
from .conftest import index, make_document
from .corpus import PHRASE, biology_pages, chemistry_pages, filler

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(user: Any, other_user: Any) -> dict[str, Document]:
    documents = {
        "biology": make_document(user, "Cell Biology", biology_pages()),
        "chemistry": make_document(user, "Chemistry", chemistry_pages()),
        "history": make_document(user, "History", [filler(400 + i) for i in range(5)]),
        # Bob's notes have the very phrase: Alice must never see them.
        "bobs": make_document(other_user, "Bob's notes", [f"The {PHRASE} repeated and repeated: {PHRASE}."]),
    }
    for document in documents.values():
        index(document)
    return documents


def fts_integrity_check() -> None:
    """On SQLite, FTS5 compares its index with the chunk table and raises if they differ."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO indexing_chunk_fts(indexing_chunk_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("query", [f'"{PHRASE}"', PHRASE, "electron transport chain mitochondrial", "ATP synthase protons"])
def test_the_page_with_the_passage_comes_first(corpus: dict[str, Document], user: Any, query: str) -> None:
    results = search(user, query)
    first = results.hits[0]
    assert (first.document_id, first.page_number) == (corpus["biology"].pk, 7)
    assert first.document_title == "Cell Biology"
    assert "<mark>" in first.snippet
    page = corpus["biology"].pages.get(number=7).text
    assert page[first.char_start : first.char_end] == Chunk.objects.get(pk=first.chunk_id).text
    scores = [h.score for h in results.hits]
    assert scores == sorted(scores, reverse=True)


def test_a_phrase_matches_only_where_the_words_stand_together(corpus: dict[str, Document], user: Any) -> None:
    results = search(user, f'"{PHRASE}"')
    assert {(h.document_id, h.page_number) for h in results.hits} == {(corpus["biology"].pk, 7)}
    assert results.total == len(results.hits)
    # The same words apart match the distractor pages too (all words must be present).
    assert search(user, "electron transport chain").total > results.total


def test_a_user_only_ever_searches_their_own_documents(corpus: dict[str, Document], user: Any, other_user: Any) -> None:
    alices = {d.pk for d in Document.objects.filter(owner=user)}
    for mode_query in (PHRASE, f'"{PHRASE}"', "repeated", "notes"):
        assert {h.document_id for h in search(user, mode_query, limit=100).hits} <= alices
    assert search(user, "repeated").total == 0
    bob = search(other_user, f'"{PHRASE}"')
    assert [h.document_id for h in bob.hits] == [corpus["bobs"].pk]
    # Asking for Bob's document by id does not widen Alice's search either.
    assert search(user, PHRASE, document_ids=[corpus["bobs"].pk]).total == 0


def test_filter_by_documents(corpus: dict[str, Document], user: Any) -> None:
    everywhere = search(user, "electron", limit=100)
    assert {h.document_id for h in everywhere.hits} == {corpus["biology"].pk, corpus["chemistry"].pk}
    only = search(user, "electron", document_ids=[corpus["chemistry"].pk], limit=100)
    assert {h.document_id for h in only.hits} == {corpus["chemistry"].pk}
    assert search(user, "electron", document_ids=[corpus["history"].pk]).total == 0


def test_pages_of_results_do_not_overlap(corpus: dict[str, Document], user: Any) -> None:
    total = search(user, "study").total
    assert total > 15  # pages: one result per page
    seen: list[int] = []
    for offset in range(0, total, 10):
        page = search(user, "study", limit=10, offset=offset)
        assert page.total == total
        seen += [h.chunk_id for h in page.hits]
    assert len(seen) == total == len(set(seen))
    past = search(user, "study", limit=10, offset=total + 10)
    assert past.hits == [] and past.total == total


def test_snippets_are_escaped_html_with_marks(user: Any) -> None:
    document = make_document(user, "Web", ["<script>alert(1)</script> & the photosynthesis <b>page</b> \ue000 stray"])
    index(document)
    snippet = search(user, "photosynthesis").hits[0].snippet
    # The document's markup is escaped (SQLite) or left out (PostgreSQL's parser drops tags):
    # the only tags are the marks, balanced even around a stray marker character in the text.
    assert set(re.findall(r"<[^>]*>", snippet)) == {"<mark>", "</mark>"}
    assert "<mark>photosynthesis</mark>" in snippet
    assert snippet.count("<mark>") == snippet.count("</mark>")
    assert "script" not in snippet or "&lt;script&gt;" in snippet


def test_reindex_replaces_chunks_and_delete_removes_them(user: Any) -> None:
    document = make_document(user, "Draft", ["The first draft mentions glycolysis. " * 40] * 3)
    old_count = index(document)
    old_ids = set(Chunk.objects.filter(document=document).values_list("pk", flat=True))
    assert old_count > 3 and search(user, "glycolysis").total == 3  # one result per page

    page = document.pages.get(number=2)
    page.text = "The second draft is about the Krebs cycle instead."
    page.save()
    new_count = index(document)
    assert new_count == Chunk.objects.filter(document=document).count() < old_count
    assert not old_ids & set(Chunk.objects.filter(document=document).values_list("pk", flat=True))
    assert {h.page_number for h in search(user, "krebs").hits} == {2}
    assert {h.page_number for h in search(user, "glycolysis", limit=100).hits} == {1, 3}
    fts_integrity_check()

    document.delete()
    assert not Chunk.objects.exists()
    assert search(user, "krebs").total == 0 and search(user, "glycolysis").total == 0
    fts_integrity_check()


def test_deleting_a_user_empties_their_index(user: Any, other_user: Any) -> None:
    index(make_document(user, "Mine", ["Osmosis and diffusion."]))
    index(make_document(other_user, "Theirs", ["Osmosis in roots."]))
    user.delete()
    assert search(other_user, "osmosis").total == 1
    fts_integrity_check()


HOSTILE = [
    '"', '""', '"""', "'", "''", "(", ")", "((a", "a)))", "*", "a*", "NEAR(", "NEAR(a b, 2)", "AND", "OR", "NOT",
    "a AND", "NOT a", "-", "--a", '-"', "!", "!!a", "&", "|", "a & b | !c", "<->", "a <-> b", ":*", "a:*", "\\",
    "%", "_", "%_%", "'; DROP TABLE indexing_chunk; --", "text:study", "{a b}", "^study", "a+b", "\u200b",
    "e\u0301\u0301\u0301", "📚 study 📚", "ｓｔｕｄｙ", "مطالعه", "study\x00notes", "a " * 64, "study " * 150,
    "x" * 1000, "(" * 500, '"' * 999, "-" * 1000, "or " * 300, "study or", "or study", "-study notes",
    # Issue #10's list: only stop words, only punctuation, unbalanced quotes, right-to-left text and
    # its controls, emoji, long input.
    "how do I", "what is the", "can I do it?", "?!.,;:", '"study notes', 'study "notes', '"""study"',
    "\u202estudy\u202c notes", "\u200fשלום עולם", "مطالعه study", "👍", "🏳️‍🌈 study", "study " * 166,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_query_answers_200_or_a_400_with_a_message(
    corpus: dict[str, Document], user: Any, api_for: Callable[[Any], APIClient], query: str
) -> None:
    response = api_for(user).get(f"/api/search/?q={quote(query)}")
    assert response.status_code in (200, 400), response.content
    body = response.json()
    if response.status_code == 400:
        # The search's own message names q; a NUL never gets that far (studyai/middleware.py).
        assert body["error"] and (body["message"].startswith("q: ") or "NUL" in body["message"])
    else:
        assert isinstance(body["results"], list)


@pytest.mark.parametrize(
    "raw", ["", "q=", "q=%20%20", "q=" + "y" * 1001, "q=" + "study%20" * 714, "q=%ED%A0%80", "q=a&q=b", "q=%00", "q=study%00"]
)
def test_empty_long_and_odd_parameters(
    corpus: dict[str, Document], user: Any, api_for: Callable[[Any], APIClient], raw: str
) -> None:
    response = api_for(user).get(f"/api/search/?{raw}")
    assert response.status_code in (200, 400)
    if response.status_code == 400:  # a NUL never reaches the search (studyai/middleware.py)
        message = response.json()["message"]
        assert message.startswith("q: ") or "NUL" in message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=60))
def test_fuzzed_queries_never_break_the_engine(corpus: dict[str, Document], user: Any, query: str) -> None:
    with contextlib.suppress(SearchError):
        search(user, query)


@pytest.mark.django_db(transaction=True)
def test_a_search_never_sees_half_of_a_reindex(user: Any) -> None:
    """A writer swaps the document's chunks between two versions while a reader searches for
    words of both: every answer is one whole version."""
    document = make_document(user, "Swap", ["alpha " * 600, "alpha " * 600])
    versions = [
        split_pages([(1, "alpha " * 600), (2, "alpha " * 600)], 100, 10),
        split_pages([(1, "omega " * 300)], 100, 10),
    ]
    with transaction.atomic():
        write_chunks(document, 1, versions[0], None)
    sizes = {len({s.page_number for s in v}) for v in versions}  # one result per page
    stop = threading.Event()
    seen: list[tuple[int, int, frozenset[str]]] = []

    def writer() -> None:
        for i in range(40):
            with transaction.atomic():
                write_chunks(Document.objects.get(pk=document.pk), 1, versions[(i + 1) % 2], None)
        stop.set()

    def reader() -> None:
        while not stop.is_set():
            results = search(user, "alpha OR omega", limit=100)
            words = frozenset(h.snippet.split("</mark>")[0].split("<mark>")[-1] for h in results.hits)
            seen.append((results.total, len(results.hits), words))

    threads = [db_thread(writer), db_thread(reader)]
    for thread in threads:
        thread.join(60)
    assert len(seen) > 5
    for total, hits, words in seen:
        assert total in sizes and hits == total and len(words) == 1, (total, hits, words)
