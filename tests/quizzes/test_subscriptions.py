"""The quiz service (quizzes/subscriptions.py): an indexed document's key terms are computed and
kept before its first quiz, by a task the `indexing.completed` event queues; the first quiz then
reads them. Eager Celery here; the live test below runs the service and a worker for real."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Document
from quizzes.models import DocumentTerms
from quizzes.subscriptions import on_indexing_completed
from quizzes.tasks import prepare_key_terms
from studyai.events.models import OutboxTask
from studyai.events.types import Event, EventType

from ..conftest import LiveProcess, token_client
from .corpus import PAGES


def completed(document: Document) -> Event:
    return Event.create(EventType.INDEXING_COMPLETED, document.owner_id, {"document_id": document.pk, "job_id": 1, "chunk_count": 5})


@pytest.mark.django_db
def test_an_indexed_document_gets_its_key_terms_before_any_quiz(
    make_document: Callable[..., Document], eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document()
    with django_capture_on_commit_callbacks(execute=True):
        on_indexing_completed(completed(document))
    kept = DocumentTerms.objects.get(document=document)
    assert len(kept.terms) > 10
    # The first quiz reads them instead of computing them again.
    from quizzes.sources import load_material

    with mock.patch("quizzes.sources.key_terms") as compute:
        material = load_material([document.pk])
    compute.assert_not_called()
    assert [t.key for t in material.terms[document.pk]] == [row[0] for row in kept.terms]


@pytest.mark.django_db
def test_the_task_is_idempotent_and_ignores_a_deleted_document(make_document: Callable[..., Document]) -> None:
    document = make_document()
    count = prepare_key_terms.apply((document.pk,)).get()
    assert count == len(DocumentTerms.objects.get(document=document).terms) > 10
    with mock.patch("quizzes.sources.key_terms") as compute:  # a second delivery: nothing computed
        assert prepare_key_terms.apply((document.pk,)).get() == count
    compute.assert_not_called()
    document.delete()
    assert prepare_key_terms.apply((document.pk,)).get() is None
    assert not DocumentTerms.objects.exists()


@pytest.mark.django_db
def test_the_handler_only_queues_the_task_durably(make_document: Callable[..., Document]) -> None:
    document = make_document()
    on_indexing_completed(completed(document))  # no broker call in the handler: an outbox row
    row = OutboxTask.objects.get()
    assert row.task_name == prepare_key_terms.name and row.args == [document.pk]
    assert not DocumentTerms.objects.exists()


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_an_upload_has_its_key_terms_kept_by_the_running_services(
    celery_worker_proc: LiveProcess, indexing_service: LiveProcess, start_process: Callable[..., LiveProcess], user: Any
) -> None:
    from studyai import processes

    service = start_process("quiz-service", processes.manage("run_quiz_service"))
    service.wait_for_log("consuming")
    try:
        text = "\n\n".join(PAGES).encode()
        upload = SimpleUploadedFile("cell-biology.txt", text, "text/plain")
        response = token_client(user).post("/api/documents/", {"file": upload}, format="multipart")
        assert response.status_code == 201, response.content
        document_id = response.json()["id"]
        deadline = time.monotonic() + 90
        while not DocumentTerms.objects.filter(document_id=document_id).exists():
            assert time.monotonic() < deadline, service.log()[-3000:]
            time.sleep(0.2)
        assert len(DocumentTerms.objects.get(document_id=document_id).terms) > 10
        assert "prepare_key_terms" in celery_worker_proc.log()
    finally:
        service.stop()
