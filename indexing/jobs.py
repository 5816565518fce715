"""Index jobs: finding or creating the job of a run, and moving it through its states.

The IndexJob row is the durable state; each change of state publishes its indexing.* event in
the same transaction (studyai.jobs.transition), so an event is relayed only once the state it
announces is committed. A job's events carry its correlation id: the processed document's (handed
over by the indexing service) or the reindex request's.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Collection

from django.db import transaction
from django.utils import timezone

from documents.models import Document
from studyai import correlation
from studyai.events.publisher import EventPublisher, get_publisher
from studyai.jobs import transition

from .conf import indexing_settings
from .models import IndexJob

REASON_MAX_CHARS = 2000  # the indexing.failed schema's limit
FINISHED = (IndexJob.Status.COMPLETED, IndexJob.Status.SUPERSEDED)  # a run of a finished job changes nothing


class NotIndexable(Exception):
    """The document cannot be indexed as it is (e.g. it is not processed yet)."""


def pipeline_job(document_id: int, generation: int) -> IndexJob | None:
    """The job indexing this generation of a processed document: found (a duplicate or re-delivered
    task) or created. None when the document is gone or at another generation: a stale run
    writes nothing at all."""
    current = Document.objects.filter(pk=document_id).values_list("generation", flat=True).first()
    if current != generation:
        return None
    job, _ = IndexJob.objects.get_or_create(
        document_id=document_id, generation=generation, trigger=IndexJob.Trigger.PIPELINE,
        defaults={"correlation_id": correlation.current()},  # the processed document's, from the task header
    )
    return job


def reindex_job(document: Document) -> tuple[IndexJob, bool]:
    """A job re-indexing `document`, and whether it is new: a job already waiting or running
    for the same text is returned instead of queueing a second one."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.status != Document.Status.PROCESSED:
            raise NotIndexable(f"Document {locked.pk} is {locked.status}: only a processed document can be indexed.")
        active = (
            IndexJob.objects.filter(
                document=locked,
                generation=locked.generation,
                status__in=IndexJob.ACTIVE,
                created_at__gte=timezone.now() - IndexJob.STALE_AFTER,
            )
            .order_by("-id")
            .first()
        )
        if active is not None:
            return active, False
        job = IndexJob.objects.create(
            document=locked, generation=locked.generation, trigger=IndexJob.Trigger.REINDEX, correlation_id=correlation.current()
        )
    return job, True


def fail_job(job: IndexJob, reason: str) -> bool:
    """Fail a job from outside its run (the watchdog, for a run that stalled): the same state
    change and indexing.failed as a run's final failure; False when it finished meanwhile."""
    failed = JobRun(job).fail(reason, final=True)
    return job.status == IndexJob.Status.RUNNING and failed


class JobRun:
    """One attempt at a job. Progress is throttled (PROGRESS_INTERVAL_MS) but the last step
    is always published, so a run always sends started, at least one progress, then its end."""

    def __init__(self, job: IndexJob, task_id: str = "", publisher: EventPublisher | None = None) -> None:
        self.job = job
        self.task_id = task_id
        self.publisher = publisher or get_publisher()
        self.interval = indexing_settings().progress_interval
        self._last_progress = -float("inf")
        self._owner_id = 0  # the document's owner, who receives the events; read by start()

    def start(self) -> bool:
        """Mark the job running and publish indexing.started; False when it is already finished
        (another run completed it, or it was superseded)."""

        def run(job: IndexJob) -> None:
            # The job's row lock holds off a delete of its document (which deletes jobs first).
            self._owner_id = Document.objects.values_list("owner_id", flat=True).get(pk=job.document_id)
            job.status = IndexJob.Status.RUNNING
            job.attempts += 1
            job.task_id = self.task_id or job.task_id
            job.started_at = timezone.now()
            job.finished_at = None
            job.chunks_done = 0  # (error stays: the last one, beside the count of failures)

        def announce(job: IndexJob) -> None:
            self.publisher.publish_indexing_started(self._owner_id, job.document_id, job.pk, job.correlation_id)

        return self._transition(run, announce, finished=FINISHED)

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last_progress < self.interval:
            return
        self._last_progress = now
        with transaction.atomic():
            IndexJob.objects.filter(pk=self.job.pk).update(chunks_done=done, chunks_total=total)
            self.publisher.publish_indexing_progress(
                self._owner_id, self.job.document_id, self.job.pk, done, total, self.job.correlation_id
            )
        self.job.chunks_done, self.job.chunks_total = done, total

    def commit(self, write: Callable[[Document], int], timings: dict[str, int]) -> int | None:
        """Run `write` (which replaces the document's chunks, returning how many) and complete
        the job, all in one transaction under the document's row lock. None, and nothing written,
        when the document changed or went meanwhile, or another run completed the job."""
        count = 0
        with transaction.atomic():
            # The document's lock first, then the job's: the order a delete of the document takes.
            document = Document.objects.select_for_update().filter(pk=self.job.document_id).first()
            if document is None or document.generation != self.job.generation:
                self._transition(self._finish(IndexJob.Status.SUPERSEDED), finished=FINISHED)
                return None

            def complete(job: IndexJob) -> None:
                nonlocal count
                started = time.perf_counter()
                count = write(document)
                timings["write_ms"] = round((time.perf_counter() - started) * 1000)
                job.chunks_done = job.chunks_total = count
                job.timings = timings
                self._finish(IndexJob.Status.COMPLETED)(job)

            def announce(job: IndexJob) -> None:
                self.publisher.publish_indexing_completed(self._owner_id, job.document_id, job.pk, count, job.correlation_id)

            if not self._transition(complete, announce, finished=FINISHED):
                return None
        return count

    def supersede(self) -> None:
        self._transition(self._finish(IndexJob.Status.SUPERSEDED))  # (gone: it went with its document)

    def fail(self, reason: str, final: bool) -> bool:
        """Record an error; a final one fails the job and publishes indexing.failed, another
        leaves it queued for the retry. False when the job is gone or finished meanwhile."""
        reason = (reason.strip() or "indexing failed")[:REASON_MAX_CHARS]

        def record(job: IndexJob) -> None:
            if not self._owner_id:  # failed from outside a run (the watchdog): who hears of it
                self._owner_id = Document.objects.values_list("owner_id", flat=True).get(pk=job.document_id)
            job.failures += 1
            job.error = reason
            if final:
                self._finish(IndexJob.Status.FAILED)(job)
            else:
                job.status = IndexJob.Status.QUEUED

        def announce(job: IndexJob) -> None:
            if final:
                self.publisher.publish_indexing_failed(self._owner_id, job.document_id, job.pk, reason, job.correlation_id)

        return self._transition(record, announce, finished=FINISHED)

    def _transition(
        self, change: Callable[[IndexJob], object], publish: Callable[[IndexJob], object] | None = None,
        finished: Collection[str] = (),
    ) -> bool:
        done = transition(IndexJob, self.job.pk, change=change, publish=publish, finished=finished).applied
        self.job = done or self.job
        return done is not None

    @staticmethod
    def _finish(status: IndexJob.Status) -> Callable[[IndexJob], None]:
        def finish(job: IndexJob) -> None:
            job.status = status
            job.finished_at = timezone.now()

        return finish
