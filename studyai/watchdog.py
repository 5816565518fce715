"""The watchdog: no document, index job or quiz stays stuck without anyone knowing why.

A sweep (`manage.py run_watchdog`, started by `make run`) looks at the jobs that have not moved
for longer than their limit (settings.STUDYAI_WATCHDOG):

- **queued** past QUEUED_SECONDS: when its task is still in the dispatch outbox, the broker is
  away and the relay sends it when it is back: it waits. When no worker consumes the job's queue,
  it is reported ("queued, no worker for indexing_queue") and left queued, not failed: starting a
  worker runs it. When a worker is there, the task was lost (a broker that restarted empty):
  it is sent again, at most once per QUEUED_SECONDS (tasks are idempotent).
- **running** past STALLED_SECONDS (beyond Celery's hard time limit, so no task can still be
  running it): it is failed with a reason, through the job's own failure path, so the student
  sees it in the feed as for any failure.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from documents.models import Document
from indexing.models import IndexJob
from quizzes.models import Quiz
from studyai.celery import app as celery_app
from studyai.dispatch import dispatch
from studyai.events.models import OutboxTask
from studyai.events.transport import REDIS_ERRORS

log = logging.getLogger(__name__)

QUEUES = {"document": "document_queue", "index_job": "indexing_queue", "quiz": "quiz_queue"}


@dataclass
class Report:
    """What one sweep found: (kind, id, what) per job looked into."""

    waiting_for_broker: list[tuple[str, int]] = field(default_factory=list)
    no_worker: list[tuple[str, int, str]] = field(default_factory=list)  # ... and the queue nobody consumes
    resent: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, int]] = field(default_factory=list)
    broker_unreachable: bool = False

    def lines(self) -> list[str]:
        out = [f"{kind} {pk}: queued, no worker consumes {queue}" for kind, pk, queue in self.no_worker]
        out += [f"{kind} {pk}: queued, waiting for the broker" for kind, pk in self.waiting_for_broker]
        out += [f"{kind} {pk}: lost by the broker, sent again" for kind, pk in self.resent]
        out += [f"{kind} {pk}: stalled, failed" for kind, pk in self.failed]
        return out


def queues_with_workers(timeout: float = 1.0) -> set[str] | None:
    """The queues some live worker consumes; None when the broker cannot be asked."""
    try:
        answer = celery_app.control.inspect(timeout=timeout).active_queues()
    except Exception as exc:  # kombu's OperationalError, redis' errors...: the broker is away
        log.warning("watchdog: cannot ask the workers (%s)", exc)
        return None
    return {queue["name"] for queues in (answer or {}).values() for queue in queues}


def sweep(now: datetime | None = None, workers: Callable[[], set[str] | None] = queues_with_workers) -> Report:
    config = settings.STUDYAI_WATCHDOG
    now = now or timezone.now()
    queued_before = now - timedelta(seconds=config["QUEUED_SECONDS"])
    stalled_before = now - timedelta(seconds=config["STALLED_SECONDS"])
    report = Report()
    _fail_stalled(stalled_before, report)
    queued = _queued(queued_before)
    if not queued:
        return report
    consumed = workers()
    if consumed is None:
        report.broker_unreachable = True
        return report
    outbox = set(OutboxTask.objects.values_list("task_id", flat=True))
    for kind, pk, task_id, resend in queued:
        if task_id and task_id in outbox:
            report.waiting_for_broker.append((kind, pk))
        elif QUEUES[kind] not in consumed:
            report.no_worker.append((kind, pk, QUEUES[kind]))
        elif _first_resend(kind, pk, config["QUEUED_SECONDS"]):
            resend()
            report.resent.append((kind, pk))
    for line in report.lines():
        log.warning("watchdog: %s", line)
    return report


def _queued(before: datetime) -> list[tuple[str, int, str, Callable[[], object]]]:
    """(kind, id, task id, how to send its task again) of each job queued since before `before`."""
    from documents.tasks import process_document
    from indexing.tasks import index_document
    from quizzes.tasks import generate_quiz

    found: list[tuple[str, int, str, Callable[[], object]]] = []
    for doc in Document.objects.filter(status=Document.Status.UPLOADED, updated_at__lt=before):
        found.append(("document", doc.pk, doc.task_id, lambda d=doc: dispatch(process_document, d.pk, d.generation, correlation_id=d.correlation_id)))
    for job in IndexJob.objects.filter(status=IndexJob.Status.QUEUED, created_at__lt=before).exclude(started_at__gte=before):
        found.append(("index_job", job.pk, job.task_id, lambda j=job: dispatch(index_document, j.document_id, j.generation, job_id=j.pk, correlation_id=j.correlation_id)))
    for quiz in Quiz.objects.filter(status=Quiz.Status.PENDING, created_at__lt=before):
        found.append(("quiz", quiz.pk, quiz.task_id, lambda q=quiz: dispatch(generate_quiz, q.pk, correlation_id=q.correlation_id)))
    return found


def _first_resend(kind: str, pk: int, seconds: int) -> bool:
    """Whether the job was not sent again within the last `seconds` (then it is marked so)."""
    try:
        return bool(cache.add(f"watchdog:resent:{kind}:{pk}", 1, timeout=seconds))
    except REDIS_ERRORS:
        return False  # no cache, no broker either: nothing to send to


def _fail_stalled(before: datetime, report: Report) -> None:
    from documents.tasks import fail_processing
    from indexing.jobs import fail_job
    from quizzes.runs import QuizRun

    minutes = round(settings.STUDYAI_WATCHDOG["STALLED_SECONDS"] / 60)
    why = f"it made no progress for {minutes} minutes (the worker running it stopped); try again"
    for doc in Document.objects.filter(status=Document.Status.PROCESSING, updated_at__lt=before):
        if fail_processing(doc.pk, doc.generation, "stalled", f"Processing stopped: {why}."):
            report.failed.append(("document", doc.pk))
    for job in IndexJob.objects.filter(status=IndexJob.Status.RUNNING, started_at__lt=before):
        if fail_job(job, f"Indexing stopped: {why}."):
            report.failed.append(("index_job", job.pk))
    for quiz in Quiz.objects.filter(status=Quiz.Status.GENERATING, started_at__lt=before):
        if QuizRun(quiz, []).fail(f"Generation stopped: {why}."):
            report.failed.append(("quiz", quiz.pk))
