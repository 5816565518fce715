"""The indexing task and its IndexJob: events, idempotency, stale runs, failures, retries."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from documents.models import Document
from indexing import indexer
from indexing.models import Chunk, IndexJob
from indexing.subscriptions import on_document_processed
from indexing.tasks import index_document
from studyai.events.types import Event, EventType

from .conftest import index, indexing_events, make_document

pytestmark = pytest.mark.django_db

PAGES = ["Enzymes lower the activation energy of reactions. " * 60] * 4


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["event_type"] for e in events]


def test_a_run_publishes_started_progress_completed_from_its_job(user: Any) -> None:
    document = make_document(user, "Enzymes", PAGES)
    result = index_document.apply((document.pk, document.generation)).get()
    job = IndexJob.objects.get()
    assert result == {"job_id": job.pk, "chunk_count": Chunk.objects.count()}
    assert job.trigger == "pipeline" and job.status == "completed" and job.attempts == 1 and job.failures == 0
    assert job.chunks_done == job.chunks_total == result["chunk_count"] > 4
    assert job.started_at and job.finished_at and job.duration is not None
    assert set(job.timings) == {"chunk_ms", "prepare_ms", "write_ms"}

    events = indexing_events(document)
    assert types(events)[0] == "indexing.started" and types(events)[-1] == "indexing.completed"
    assert set(types(events)[1:-1]) == {"indexing.progress"}
    progress = [e["data"] for e in events if e["event_type"] == "indexing.progress"]
    assert progress[0]["current"] == 0 and progress[-1]["current"] == progress[-1]["total"] == job.chunks_total
    assert events[-1]["data"] == {"document_id": document.pk, "job_id": job.pk, "chunk_count": job.chunks_total}
    assert {e["user_id"] for e in events} == {user.pk}
    assert {e["correlation_id"] for e in events} == {job.correlation_id} and job.correlation_id.startswith("req-")


def test_progress_is_published_at_most_once_an_interval(user: Any, settings: Any) -> None:
    settings.STUDYAI_INDEXING = {**settings.STUDYAI_INDEXING, "PROGRESS_INTERVAL_MS": 60_000}
    document = make_document(user, "Enzymes", PAGES)
    index(document)
    progress = [e["data"]["current"] for e in indexing_events(document) if e["event_type"] == "indexing.progress"]
    assert progress == [0, Chunk.objects.count()]  # the first and the last, nothing between


def test_running_twice_leaves_one_set_of_chunks_and_one_completed(user: Any) -> None:
    document = make_document(user, "Enzymes", PAGES)
    first = index_document.apply((document.pk, document.generation)).get()
    keys = list(Chunk.objects.order_by("ordinal").values_list("key", flat=True))
    assert index_document.apply((document.pk, document.generation)).get() is None
    assert list(Chunk.objects.order_by("ordinal").values_list("key", flat=True)) == keys
    assert len(keys) == first["chunk_count"] and IndexJob.objects.count() == 1
    assert types(indexing_events(document)).count("indexing.completed") == 1


def test_a_stale_or_orphan_run_writes_nothing(user: Any) -> None:
    document = make_document(user, "Enzymes", PAGES)
    Document.objects.filter(pk=document.pk).update(generation=2)
    assert index_document.apply((document.pk, 1)).get() is None
    assert index_document.apply((document.pk + 1000, 1)).get() is None
    assert not IndexJob.objects.exists() and not Chunk.objects.exists() and not indexing_events()


def test_a_document_reprocessed_mid_run_is_superseded_and_keeps_its_chunks(user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    document = make_document(user, "Enzymes", PAGES)
    before = index(document)
    real_prepare = indexer._prepare

    def reprocessed_meanwhile(*args: Any) -> Any:
        Document.objects.filter(pk=document.pk).update(generation=document.generation + 1)
        return real_prepare(*args)

    monkeypatch.setattr(indexer, "_prepare", reprocessed_meanwhile)
    assert index_document.apply((document.pk, document.generation)).get() is None
    job = IndexJob.objects.get(trigger="pipeline")
    assert job.status == "superseded" and job.finished_at
    assert Chunk.objects.count() == before
    assert types(indexing_events(document)).count("indexing.completed") == 1  # the earlier run's


def test_a_document_deleted_mid_run_leaves_nothing_behind(user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    document = make_document(user, "Enzymes", PAGES)
    real_prepare = indexer._prepare

    def deleted_meanwhile(*args: Any) -> Any:
        Document.objects.filter(pk=document.pk).delete()
        return real_prepare(*args)

    monkeypatch.setattr(indexer, "_prepare", deleted_meanwhile)
    assert index_document.apply((document.pk, document.generation)).get() is None
    assert not Chunk.objects.exists() and not IndexJob.objects.exists()
    assert not {"indexing.completed", "indexing.failed"} & set(types(indexing_events(document)))


def test_a_document_that_is_not_processed_fails_the_job(user: Any) -> None:
    document = make_document(user, "Enzymes", PAGES, status=Document.Status.PROCESSING)
    result = index_document.apply((document.pk, document.generation))
    assert result.failed()
    job = IndexJob.objects.get()
    assert job.status == "failed" and job.failures == 1 and "processing" in job.error
    events = indexing_events(document)
    assert types(events) == ["indexing.started", "indexing.failed"]
    assert "only a processed document" in events[-1]["data"]["reason"]
    assert not Chunk.objects.exists()


def test_a_transient_error_is_retried_and_the_job_completes_once(
    user: Any, monkeypatch: pytest.MonkeyPatch, eager_celery: None
) -> None:
    document = make_document(user, "Enzymes", PAGES)
    real_write = indexer.write_chunks
    calls: list[int] = []

    def flaky(*args: Any) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("the database went away for a moment")
        return real_write(*args)

    monkeypatch.setattr(indexer, "write_chunks", flaky)
    index_document.apply((document.pk, document.generation)).get()
    job = IndexJob.objects.get()
    assert job.status == "completed" and job.attempts == 2 and job.failures == 1
    assert "went away" in job.error  # the last error is kept beside the count
    seen = types(indexing_events(document))
    assert seen.count("indexing.started") == 2 and seen.count("indexing.completed") == 1
    assert "indexing.failed" not in seen
    assert Chunk.objects.count() == job.chunks_total


def test_a_document_processed_event_is_indexed_by_the_subscriber(user: Any, eager_celery: None, django_capture_on_commit_callbacks: Any) -> None:
    document = make_document(user, "Enzymes", PAGES)
    data = {"document_id": document.pk, "page_count": 4, "word_count": 100, "generation": document.generation}
    with django_capture_on_commit_callbacks(execute=True):
        on_document_processed(Event.create(EventType.DOCUMENT_PROCESSED, user.pk, data))
    assert IndexJob.objects.get().status == "completed"
    assert Chunk.objects.filter(document=document).exists()


def test_a_version_1_event_is_indexed_at_the_documents_current_generation(
    user: Any, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document(user, "Enzymes", PAGES)
    data = {"document_id": document.pk, "page_count": 4, "word_count": 100}
    with django_capture_on_commit_callbacks(execute=True):
        on_document_processed(Event.create(EventType.DOCUMENT_PROCESSED, user.pk, data, version=1))
    assert IndexJob.objects.get().generation == document.generation
    assert Chunk.objects.filter(document=document).exists()
    # A document deleted before its event is handled: nothing to index, nothing raised.
    document.delete()
    on_document_processed(Event.create(EventType.DOCUMENT_PROCESSED, user.pk, data, version=1))
    assert not Chunk.objects.exists()


def test_documents_does_not_import_indexing() -> None:
    import documents

    sources = Path(documents.__file__).parent.rglob("*.py")
    assert not [p for p in sources if re.search(r"^\s*(from|import) indexing\b", p.read_text(), re.M)]


def test_deleting_a_document_deletes_its_chunks(user: Any, eager_celery: None) -> None:
    document = make_document(user, "Enzymes", PAGES)
    index_document.apply((document.pk, document.generation)).get()
    assert Chunk.objects.filter(document=document).exists()
    document.delete()
    assert not Chunk.objects.exists()
