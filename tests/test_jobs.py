"""The job lifecycle (studyai/jobs.py): a transition changes a row only from an allowed state,
publishes its events in the same transaction (relayed only once that commits), and a stale,
finished or missing job refuses without writing or publishing. And the correlation id
(studyai/correlation.py): carried from the caller into a dispatched task, and handed on from an
event to the index job it starts."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import transaction

from indexing.models import IndexJob
from indexing.subscriptions import on_document_processed
from quizzes.models import Quiz
from studyai import correlation, logs
from studyai.events.models import OutboxEvent, OutboxTask
from studyai.events.publisher import EventPublisher
from studyai.events.transport import EventTransport, coalesce_live
from studyai.events.types import Event, EventType
from studyai.jobs import Outcome, transition

from .indexing.conftest import make_document


class Recording(EventTransport):
    """Records what would be relayed instead of touching Redis."""

    def __init__(self) -> None:
        self.delivered: list[Event] = []

    def deliver(self, events: Sequence[Event]) -> None:  # type: ignore[override]
        self.delivered.extend(events)


def new_quiz(owner: Any, status: str = Quiz.Status.GENERATING) -> Quiz:
    return Quiz.objects.create(
        owner=owner, title="t", num_questions=3, question_types=["true_false"], difficulty="easy", seed=1,
        status=status, correlation_id="req-quiz-request",
    )


def mark_ready(quiz: Quiz) -> None:
    quiz.status = Quiz.Status.READY


def announcer(publisher: EventPublisher, question_count: int = 3) -> Any:
    return lambda quiz: publisher.publish_quiz_generated(quiz.owner_id, quiz.pk, question_count, quiz.correlation_id)


def test_an_allowed_transition_saves_and_publishes_once_it_commits(user: Any, transactional_db: Any) -> None:
    transport = Recording()
    publisher = EventPublisher(transport=transport)
    quiz = new_quiz(user)
    with transaction.atomic():
        done = transition(Quiz, quiz.pk, change=mark_ready, publish=announcer(publisher), allowed={Quiz.Status.GENERATING})
        assert done and done.outcome is Outcome.APPLIED and done.job is not None and done.job.status == "ready"
        assert transport.delivered == []  # not before the commit
    assert Quiz.objects.get(pk=quiz.pk).status == "ready"
    [event] = transport.delivered
    assert event.event_type == EventType.QUIZ_GENERATED and event.correlation_id == "req-quiz-request"
    assert not OutboxEvent.objects.exists()  # relayed, then deleted


def test_a_transition_rolled_back_by_its_caller_publishes_nothing(user: Any, transactional_db: Any) -> None:
    transport = Recording()
    publisher = EventPublisher(transport=transport)
    quiz = new_quiz(user)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert transition(Quiz, quiz.pk, change=mark_ready, publish=announcer(publisher), allowed={Quiz.Status.GENERATING})
        raise RuntimeError("the caller's next step failed")
    assert Quiz.objects.get(pk=quiz.pk).status == "generating"
    assert transport.delivered == [] and not OutboxEvent.objects.exists()


def test_a_publish_that_fails_undoes_the_change(user: Any, transactional_db: Any) -> None:
    transport = Recording()
    publisher = EventPublisher(transport=transport)
    quiz = new_quiz(user)
    with pytest.raises(ValueError):  # question_count -1 does not fit quiz.generated's schema
        transition(Quiz, quiz.pk, change=mark_ready, publish=announcer(publisher, -1), allowed={Quiz.Status.GENERATING})
    assert Quiz.objects.get(pk=quiz.pk).status == "generating" and transport.delivered == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "kwargs", "outcome"),
    [
        (Quiz.Status.READY, {"finished": (Quiz.Status.READY, Quiz.Status.FAILED)}, Outcome.FINISHED),
        (Quiz.Status.PENDING, {"allowed": {Quiz.Status.GENERATING}}, Outcome.REFUSED),
        (Quiz.Status.GENERATING, {"current": lambda quiz: quiz.seed == 2}, Outcome.STALE),  # e.g. another generation
    ],
)
def test_a_finished_refused_or_stale_job_is_left_alone(user: Any, status: str, kwargs: dict[str, Any], outcome: Outcome) -> None:
    quiz = new_quiz(user, status)
    changed: list[int] = []
    published: list[int] = []
    done = transition(Quiz, quiz.pk, change=lambda q: changed.append(q.pk), publish=lambda q: published.append(q.pk), **kwargs)
    assert not done and done.outcome is outcome
    assert done.job is not None and done.job.pk == quiz.pk  # the row as it is, for the caller to read
    assert changed == published == [] and not OutboxEvent.objects.exists()
    assert Quiz.objects.get(pk=quiz.pk).status == status


@pytest.mark.django_db
def test_a_job_that_is_gone_is_gone(user: Any) -> None:
    done = transition(Quiz, 987654, change=mark_ready)
    assert not done and done.outcome is Outcome.GONE and done.job is None


@pytest.mark.django_db
def test_the_finished_check_comes_before_allowed(user: Any) -> None:
    quiz = new_quiz(user, Quiz.Status.FAILED)
    done = transition(Quiz, quiz.pk, change=mark_ready, allowed={Quiz.Status.FAILED}, finished={Quiz.Status.FAILED})
    assert done.outcome is Outcome.FINISHED


# ---- correlation ids --------------------------------------------------------------------------


def test_a_sane_client_id_is_kept_and_anything_else_replaced() -> None:
    assert correlation.accept("client-trace:42") == "client-trace:42"
    for bad in (None, "", "short", "has space in it", "quote\"inside-it", "x" * 129):
        made = correlation.accept(bad)
        assert made.startswith("req-") and len(made) == 36
    assert correlation.current() != correlation.current()  # nothing bound: a new one each time
    with logs.bound(correlation_id="req-bound-one"):
        assert correlation.current() == correlation.bound() == "req-bound-one"


@pytest.mark.django_db
def test_dispatch_keeps_the_callers_id_for_the_task(user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from studyai.dispatch import _send, dispatch
    from studyai.events.tasks import pipeline_check

    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(pipeline_check, "apply_async", lambda **options: sent.append(options))
    with logs.bound(correlation_id="req-from-the-request"):
        dispatch(pipeline_check, user.pk)
    row = OutboxTask.objects.get()
    assert row.correlation_id == "req-from-the-request"
    dispatch(pipeline_check, user.pk, correlation_id="req-of-the-job")  # a job's own wins
    _send(list(OutboxTask.objects.values_list("pk", flat=True)))
    assert [s["headers"] for s in sent] == [
        {correlation.TASK_HEADER: "req-from-the-request"}, {correlation.TASK_HEADER: "req-of-the-job"}
    ]


@pytest.mark.django_db
def test_the_index_job_of_a_processed_document_carries_the_events_id(
    user: Any, eager_celery: None, django_capture_on_commit_callbacks: Any, redis_client: Any
) -> None:
    document = make_document(user, "Enzymes", ["Enzymes speed up reactions. " * 30])
    event = Event.create(
        EventType.DOCUMENT_PROCESSED, user.pk,
        {"document_id": document.pk, "page_count": 1, "word_count": 120, "generation": document.generation},
        correlation_id="req-the-upload",
    )
    with django_capture_on_commit_callbacks(execute=True), logs.bound(correlation_id=event.correlation_id):
        on_document_processed(event)  # as the consumer calls it: with the event's ids bound
    job = IndexJob.objects.get(document=document)
    assert job.status == IndexJob.Status.COMPLETED and job.correlation_id == "req-the-upload"
    relayed = [json.loads(fields["event"]) for _id, fields in redis_client.xrange("study_ai_events")]
    published = [e for e in relayed if e["event_type"].startswith("indexing.")]
    assert len(published) >= 3 and {e["correlation_id"] for e in published} == {"req-the-upload"}


def test_two_jobs_under_one_correlation_id_are_coalesced_apart() -> None:
    # A client may send one X-Request-ID for several uploads: each job keeps its last progress.
    def progress(job_id: int, current: int) -> Event:
        data = {"document_id": job_id, "job_id": job_id, "current": current, "total": 9}
        return Event.create(EventType.INDEXING_PROGRESS, 1, data, correlation_id="req-shared-by-two")

    events = [progress(1, 1), progress(2, 1), progress(1, 2), progress(2, 2)]
    assert coalesce_live(events) == [events[2], events[3]]
