"""The watchdog (studyai/watchdog.py): a queued job with no worker for its queue is reported and
left queued; one whose task the broker lost is sent again, once; one still in the dispatch
outbox waits for the broker; a job running past the hard time limit is failed with a reason the
student sees. tests/test_watchdog_live.py runs it beside a real, killed worker."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from documents.models import Document
from indexing.models import IndexJob
from quizzes.models import Quiz
from studyai.events.models import OutboxTask
from studyai.watchdog import sweep

from .indexing.conftest import make_document

pytestmark = pytest.mark.django_db(transaction=True)

ALL_QUEUES = {"document_queue", "indexing_queue", "quiz_queue"}


@pytest.fixture(autouse=True)
def fresh_cache(redis_client: Any) -> None:
    cache.clear()


def age(model: Any, pk: int, seconds: int, *fields: str) -> None:
    when = timezone.now() - timedelta(seconds=seconds)
    model.objects.filter(pk=pk).update(**{name: when for name in fields})


def queued_document(user: Any) -> Document:
    document = make_document(user, "Notes", ["Some text."], status=Document.Status.UPLOADED)
    age(Document, document.pk, 600, "updated_at")
    return document


def test_a_queued_job_with_no_worker_for_its_queue_is_reported_not_failed(user: Any) -> None:
    document = queued_document(user)
    report = sweep(workers=lambda: {"quiz_queue"})
    assert report.no_worker == [("document", document.pk, "document_queue")]
    assert "queued, no worker consumes document_queue" in report.lines()[0]
    document.refresh_from_db()
    assert document.status == Document.Status.UPLOADED  # a worker that starts will run it


def test_a_job_the_broker_lost_is_sent_again_once(user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    document = queued_document(user)
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr("studyai.watchdog.dispatch", lambda task, *args, **kw: sent.append((task.name, *args)))
    assert sweep(workers=lambda: ALL_QUEUES).resent == [("document", document.pk)]
    assert sweep(workers=lambda: ALL_QUEUES).resent == []  # not again within the limit
    assert sent == [("documents.tasks.process_document", document.pk, document.generation)]


def test_a_job_whose_task_waits_in_the_outbox_waits_for_the_broker(user: Any) -> None:
    document = queued_document(user)
    OutboxTask.objects.create(task_name="documents.tasks.process_document", args=[document.pk, 1], task_id="t-1")
    Document.objects.filter(pk=document.pk).update(task_id="t-1")
    age(Document, document.pk, 600, "updated_at")
    report = sweep(workers=lambda: ALL_QUEUES)
    assert report.waiting_for_broker == [("document", document.pk)] and report.resent == []


def test_the_broker_unreachable_touches_nothing_queued(user: Any) -> None:
    queued_document(user)
    report = sweep(workers=lambda: None)
    assert report.broker_unreachable and not report.resent and not report.no_worker


def test_jobs_running_past_the_hard_limit_are_failed_with_a_reason(user: Any, redis_client: Any) -> None:
    document = make_document(user, "Notes", ["Some text."], status=Document.Status.PROCESSING)
    age(Document, document.pk, 3600, "updated_at")
    indexed = make_document(user, "Indexed", ["More text."])
    job = IndexJob.objects.create(document=indexed, generation=indexed.generation, trigger="pipeline", status=IndexJob.Status.RUNNING)
    age(IndexJob, job.pk, 3600, "started_at")
    quiz = Quiz.objects.create(owner=user, title="Q", num_questions=3, question_types=["true_false"], difficulty="easy", seed=1, status=Quiz.Status.GENERATING)
    age(Quiz, quiz.pk, 3600, "started_at")

    report = sweep(workers=lambda: ALL_QUEUES)
    assert sorted(report.failed) == sorted([("document", document.pk), ("index_job", job.pk), ("quiz", quiz.pk)])
    document.refresh_from_db(); job.refresh_from_db(); quiz.refresh_from_db()  # noqa: E702
    assert document.status == Document.Status.FAILED and "no progress for 35 minutes" in document.failure_message
    assert job.status == IndexJob.Status.FAILED and "Indexing stopped" in job.error
    assert quiz.status == Quiz.Status.FAILED and "Generation stopped" in quiz.failure_reason
    types = {json.loads(fields["event"])["event_type"] for _id, fields in redis_client.xrange("study_ai_events")}
    failed = {t for t in types if t.endswith("failed")}
    assert failed == {"document.failed", "indexing.failed", "quiz.generation.failed"}  # the student's feed hears of each
    assert sweep(workers=lambda: ALL_QUEUES).failed == []  # once


def test_a_recent_job_is_left_alone(user: Any) -> None:
    make_document(user, "Notes", ["Some text."], status=Document.Status.UPLOADED)
    report = sweep(workers=lambda: set())
    assert report.lines() == []
