"""The REST API: search, re-index, index jobs."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from documents.models import Document
from indexing.models import IndexJob

from .conftest import index, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(user: Any, api_for: Callable[[Any], APIClient]) -> APIClient:
    return api_for(user)


@pytest.fixture
def notes(user: Any) -> list[Document]:
    documents = [
        make_document(user, "Genetics", ["Alleles and genes. " * 30, "Dominant alleles mask recessive ones. " * 30]),
        make_document(user, "Ecology", ["Food webs and alleles of populations. " * 30]),
    ]
    for document in documents:
        index(document)
    return documents


def test_search_answers_ranked_passages(alice: APIClient, notes: list[Document]) -> None:
    body = alice.get("/api/search/", {"q": "recessive alleles"}).json()
    assert body["count"] >= 1 and body["mode"] == "keyword" and body["previous"] is None
    hit = body["results"][0]
    assert hit["document"] == {"id": notes[0].pk, "title": "Genetics"}
    assert hit["page"] == 2
    assert "<mark>" in hit["snippet"] and isinstance(hit["score"], float)
    page = notes[0].pages.get(number=2).text
    assert page[hit["char_start"] : hit["char_end"]].startswith("Dominant")
    assert len(hit["chunk"]) == 32


def test_search_filters_by_documents_repeated_or_comma_separated(
    alice: APIClient, notes: list[Document], other_user: Any
) -> None:
    genetics, ecology = notes
    both = {genetics.pk, ecology.pk}
    for query, expected in (
        (f"document={genetics.pk}", {genetics.pk}),
        (f"document={genetics.pk},{ecology.pk}", both),
        (f"document={ecology.pk}&document={genetics.pk}", both),
    ):
        ids = {r["document"]["id"] for r in alice.get(f"/api/search/?q=alleles&page_size=100&{query}").json()["results"]}
        assert ids == expected, query
    theirs = make_document(other_user, "Theirs", ["alleles"])
    for bad in (str(theirs.pk), "999999"):
        response = alice.get(f"/api/search/?q=alleles&document={bad}")
        assert response.status_code == 400
        assert response.json()["message"] == f"document: No document with id {bad}."
    assert alice.get("/api/search/?q=alleles&document=abc").status_code == 400


def test_search_pages(alice: APIClient, notes: list[Document]) -> None:
    first = alice.get("/api/search/", {"q": "alleles", "page_size": "1"}).json()
    # One result per page (Genetics has two pages with the word, Ecology one), not one per chunk.
    assert first["count"] == 3 and len(first["results"]) == 1 and first["next"]
    second = alice.get(first["next"]).json()
    assert second["previous"] and not {r["chunk"] for r in first["results"]} & {r["chunk"] for r in second["results"]}
    last_page = first["count"]
    assert alice.get("/api/search/", {"q": "alleles", "page_size": "1", "page": str(last_page)}).json()["next"] is None
    past = alice.get("/api/search/", {"q": "alleles", "page_size": "1", "page": str(last_page + 5)}).json()
    assert past["results"] == [] and past["count"] == 3


BAD_PARAMETERS: list[tuple[dict[str, str | int], str]] = [
    ({}, "q"),
    ({"q": ""}, "q"),
    ({"q": "a", "page_size": 101}, "page_size"),
    ({"q": "a", "page": 0}, "page"),
    ({"q": "a", "page": 10_000}, "page"),
    ({"q": "a", "mode": "magic"}, "mode"),
]


@pytest.mark.parametrize("params, field", BAD_PARAMETERS)
def test_search_refuses_bad_parameters(alice: APIClient, params: dict[str, str | int], field: str) -> None:
    response = alice.get("/api/search/", params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}: ")


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_semantic_modes_without_the_extra_are_a_clear_400(
    alice: APIClient, notes: list[Document], mode: str, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.STUDYAI_INDEXING = {**settings.STUDYAI_INDEXING, "SEMANTIC": "auto"}
    monkeypatch.setattr("indexing.search.semantic.installed", lambda: False)
    monkeypatch.setattr("indexing.search.semantic._load_model", lambda: pytest.fail("the model must not load"))
    response = alice.get("/api/search/", {"q": "alleles", "mode": mode})
    assert response.status_code == 400
    assert "mode: Semantic search is not installed on this server" in response.json()["message"]
    assert alice.get("/api/search/", {"q": "alleles"}).status_code == 200  # keyword search still works
    settings.STUDYAI_INDEXING = {**settings.STUDYAI_INDEXING, "SEMANTIC": "off"}
    assert "turned off" in alice.get("/api/search/", {"q": "alleles", "mode": mode}).json()["message"]


def test_search_needs_a_login(notes: list[Document]) -> None:
    assert APIClient().get("/api/search/", {"q": "alleles"}).status_code == 401


def test_reindex_queues_a_job_that_runs(
    alice: APIClient, notes: list[Document], eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    document = notes[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(f"/api/documents/{document.pk}/reindex/")
    assert response.status_code == 202
    job = response.json()
    assert job["document"] == document.pk and job["trigger"] == "reindex" and job["status"] == "queued"
    assert IndexJob.objects.get(pk=job["id"]).status == "completed"
    listed = alice.get(f"/api/documents/{document.pk}/index-jobs/").json()
    assert listed["results"][0]["id"] == job["id"] and listed["results"][0]["status"] == "completed"


def test_reindex_while_a_job_waits_returns_that_job(alice: APIClient, notes: list[Document]) -> None:
    first = alice.post(f"/api/documents/{notes[0].pk}/reindex/").json()  # not run: on_commit never fires here
    second = alice.post(f"/api/documents/{notes[0].pk}/reindex/")
    assert second.status_code == 202 and second.json()["id"] == first["id"]


def test_reindex_refusals(alice: APIClient, user: Any, other_user: Any) -> None:
    theirs = make_document(other_user, "Theirs", ["text"])
    assert alice.post(f"/api/documents/{theirs.pk}/reindex/").status_code == 404
    assert alice.get(f"/api/documents/{theirs.pk}/index-jobs/").status_code == 404
    assert alice.post("/api/documents/999999/reindex/").status_code == 404
    busy = make_document(user, "Busy", ["text"], status=Document.Status.PROCESSING)
    response = alice.post(f"/api/documents/{busy.pk}/reindex/")
    assert response.status_code == 409
    assert response.json()["error"] == "conflict" and "only a processed document" in response.json()["message"]
    assert APIClient().post(f"/api/documents/{busy.pk}/reindex/").status_code == 401


def test_the_schema_describes_the_endpoints(alice: APIClient) -> None:
    schema = alice.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/search/", "/api/documents/{id}/reindex/", "/api/documents/{id}/index-jobs/"} <= set(schema["paths"])
    names = {p["name"] for p in schema["paths"]["/api/search/"]["get"]["parameters"]}
    assert {"q", "mode", "document", "page", "page_size"} <= names
