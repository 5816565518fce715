"""Durable dispatch (studyai/dispatch.py): an upload whose broker is down at commit time is kept
(201) and its processing starts once the broker is back, by the relay sweep; nothing is lost and
nothing runs twice. The broker's failure is simulated here; tests/test_broker_restart_live.py
kills a real Redis."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import redis
from celery.app.task import Task
from django.core.management import call_command
from django.db import transaction
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from documents.models import Document
from documents.tasks import process_document
from indexing.tasks import index_document
from quizzes.models import Quiz
from studyai.dispatch import dispatch, send_pending
from studyai.events.models import OutboxTask

from ..indexing.conftest import make_document
from ..quizzes.corpus import PAGES
from .test_api import stream_types, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery", "redis_client")]


def refuse_sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on apply_async fails as kombu does when the broker cannot be reached; the names
    of the tasks tried are kept."""
    tried: list[str] = []

    def refuse(self: Task, *args: Any, **kwargs: Any) -> None:
        tried.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    return tried


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return refuse_sends(monkeypatch)


def test_an_upload_with_the_broker_down_is_kept_and_processed_once_it_is_back(
    api: APIClient, broker_down: list[str], monkeypatch: pytest.MonkeyPatch, redis_client: redis.Redis
) -> None:
    response = upload(api, "notes.md", b"# Cells\n\nThe cell membrane controls transport.\n")
    assert response.status_code == 201, response.content  # kept: not a 500 after the commit
    document = Document.objects.get(pk=response.json()["id"])
    assert document.status == Document.Status.UPLOADED and broker_down == ["documents.tasks.process_document"]
    row = OutboxTask.objects.get()
    assert row.task_id == document.task_id and row.args == [document.pk, document.generation]

    assert send_pending(grace=timedelta(0)) == 0  # still down: the row stays for the next sweep
    assert OutboxTask.objects.count() == 1

    monkeypatch.undo()  # the broker is back
    call_command("relay_outbox", "--once", "--grace", "0")
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSED
    assert not OutboxTask.objects.exists()
    assert stream_types(redis_client, document.pk) == ["document.uploaded", "document.processing", "document.processed"]
    assert send_pending(grace=timedelta(0)) == 0  # sent once: nothing left to send again


def test_a_rolled_back_transaction_dispatches_nothing(broker_down: list[str]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch(process_document, 1, 1)
        raise RuntimeError("the request failed")
    assert not OutboxTask.objects.exists() and broker_down == []


def test_a_quiz_request_with_the_broker_down_is_202_and_starts_later(api: APIClient, monkeypatch: pytest.MonkeyPatch, user: Any) -> None:
    document = make_document(user, "Notes", PAGES)
    index_document.apply((document.pk, document.generation)).get()
    refuse = refuse_sends(monkeypatch)
    response = api.post("/api/quizzes/", {"document_ids": [document.pk], "num_questions": 3}, format="json")
    assert response.status_code == 202, response.content
    quiz = Quiz.objects.get(pk=response.json()["id"])
    assert quiz.status == Quiz.Status.PENDING and OutboxTask.objects.get().task_id == quiz.task_id
    assert refuse == ["quizzes.tasks.generate_quiz"]
    monkeypatch.undo()  # the broker is back
    assert send_pending(grace=timedelta(0)) == 1
    quiz.refresh_from_db()
    assert quiz.status == Quiz.Status.READY and quiz.questions.count() == 3
