"""Index jobs: finding or creating the job of a run, and moving it through its states.

The IndexJob row is the durable state; each change of state publishes its indexing.* event in
the same transaction, so an event is relayed only once the state it announces is committed.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from documents.models import Document
from studyai.events.publisher import EventPublisher, get_publisher

from .conf import indexing_settings
from .models import IndexJob

REASON_MAX_CHARS = 2000  # the indexing.failed schema's limit


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
        document_id=document_id, generation=generation, trigger=IndexJob.Trigger.PIPELINE
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
        job = IndexJob.objects.create(document=locked, generation=locked.generation, trigger=IndexJob.Trigger.REINDEX)
    return job, True


def fail_job(job: IndexJob, reason: str) -> bool:
    """Fail a job from outside its run (the watchdog, for a run that stalled): the same state
    change and indexing.failed as a run's final failure; False when it finished meanwhile."""
    run = JobRun(job)
    run.fail(reason, final=True)
    return job.status == IndexJob.Status.RUNNING and run.job.status == IndexJob.Status.FAILED


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
        with transaction.atomic():
            job = IndexJob.objects.select_for_update().filter(pk=self.job.pk).first()
            if job is None or job.status in (IndexJob.Status.COMPLETED, IndexJob.Status.SUPERSEDED):
                return False  # gone with its document, or finished
            # The job's row lock holds off a delete of its document (which deletes jobs first).
            self._owner_id = Document.objects.values_list("owner_id", flat=True).get(pk=job.document_id)
            job.status = IndexJob.Status.RUNNING
            job.attempts += 1
            job.task_id = self.task_id or job.task_id
            job.started_at = timezone.now()
            job.finished_at = None
            job.chunks_done = 0  # (error stays: the last one, beside the count of failures)
            job.save()
            self.job = job
            self.publisher.publish_indexing_started(self._owner_id, job.document_id, job.pk, job.correlation_id)
        return True

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
        with transaction.atomic():
            document = Document.objects.select_for_update().filter(pk=self.job.document_id).first()
            job = IndexJob.objects.select_for_update().filter(pk=self.job.pk).first()
            if job is None or job.status in (IndexJob.Status.COMPLETED, IndexJob.Status.SUPERSEDED):
                return None
            if document is None or document.generation != job.generation:
                self._finish(job, IndexJob.Status.SUPERSEDED)
                return None
            started = time.perf_counter()
            count = write(document)
            timings["write_ms"] = round((time.perf_counter() - started) * 1000)
            job.chunks_done = job.chunks_total = count
            job.timings = timings
            self._finish(job, IndexJob.Status.COMPLETED)
            self.publisher.publish_indexing_completed(self._owner_id, job.document_id, job.pk, count, job.correlation_id)
        return count

    def supersede(self) -> None:
        with transaction.atomic():
            job = IndexJob.objects.select_for_update().filter(pk=self.job.pk).first()
            if job is not None:  # (None: it went with its document)
                self._finish(job, IndexJob.Status.SUPERSEDED)

    def fail(self, reason: str, final: bool) -> None:
        """Record an error; a final one fails the job and publishes indexing.failed, another
        leaves it queued for the retry."""
        reason = (reason.strip() or "indexing failed")[:REASON_MAX_CHARS]
        with transaction.atomic():
            job = IndexJob.objects.select_for_update().filter(pk=self.job.pk).first()
            if job is None or job.status in (IndexJob.Status.COMPLETED, IndexJob.Status.SUPERSEDED):
                return
            if not self._owner_id:  # failed from outside a run (the watchdog): who hears of it
                self._owner_id = Document.objects.values_list("owner_id", flat=True).get(pk=job.document_id)
            job.failures += 1
            job.error = reason
            if not final:
                job.status = IndexJob.Status.QUEUED
                job.save()
                self.job = job
                return
            self._finish(job, IndexJob.Status.FAILED)
            self.publisher.publish_indexing_failed(self._owner_id, job.document_id, job.pk, reason, job.correlation_id)

    def _finish(self, job: IndexJob, status: IndexJob.Status) -> None:
        job.status = status
        job.finished_at = timezone.now()
        job.save()
        self.job = job
