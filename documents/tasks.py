"""Document processing on document_queue: extraction page by page, with lifecycle events.

Idempotent: the document row says how far a run got. A re-run (a killed worker's task delivered
again) finishes what is unfinished and publishes nothing twice; a run of an older generation
(the document was reprocessed since) stops without writing. Each change of state goes through
studyai.jobs.transition; the events carry the correlation id of the upload or reprocess request.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studyai import correlation
from studyai.celery import document_task
from studyai.dispatch import dispatch
from studyai.events.publisher import get_publisher
from studyai.events.tasks import EventDrivenTask
from studyai.jobs import Outcome, transition

from .extract import ExtractionError, ExtractionLimits, ExtractionResult, extract_isolated
from .models import Document, DocumentPage

log = logging.getLogger(__name__)
TASK_TYPE = "document_processing"
FINISHED = (Document.Status.PROCESSED, Document.Status.FAILED)


def processing_task_id(document_id: int, generation: int) -> str:
    """The task_id of a processing run's task.status.update events (the client's handle on the
    run): the same on a re-run of one generation, so a redelivered task is one job."""
    return f"doc_process_{document_id}_{generation}"


def enqueue_processing(document: Document) -> None:
    """Start processing once the current transaction commits (the worker must see the row),
    durably: a broker that is down delays it, never loses it (studyai/dispatch.py)."""
    task_id = dispatch(process_document, document.pk, document.generation, correlation_id=document.correlation_id)
    Document.objects.filter(pk=document.pk, generation=document.generation).update(task_id=task_id)


def reprocess(document: Document) -> Document:
    """Run the pipeline again (a new generation, correlated with the request asking for it); the
    old pages stay searchable until then."""

    def new_generation(locked: Document) -> None:
        locked.generation += 1
        locked.status = Document.Status.UPLOADED
        locked.failure_code = locked.failure_message = ""
        locked.correlation_id = correlation.current()

    done = transition(
        Document, document.pk, change=new_generation, publish=enqueue_processing,
        fields=["generation", "status", "failure_code", "failure_message", "correlation_id", "updated_at"],
    )
    if done.job is None:
        raise Document.DoesNotExist(f"Document {document.pk} was deleted.")
    return done.job


def delete_document(document: Document) -> None:
    """Delete a document with everything derived from it (what other apps derived goes by their
    own receivers of the delete: indexing removes its chunks), and its file once that committed."""
    file = document.file
    with transaction.atomic():
        document.delete()
        transaction.on_commit(lambda: file.delete(save=False))


def extraction_limits() -> ExtractionLimits:
    return ExtractionLimits(**settings.EXTRACTION_LIMITS)


def _of_generation(generation: int) -> Callable[[Document], bool]:
    return lambda document: document.generation == generation


@document_task
def process_document(self: Any, document_id: int, generation: int) -> str:
    events = EventDrivenTask()
    task_id = processing_task_id(document_id, generation)

    def start(document: Document) -> None:
        document.status = Document.Status.PROCESSING

    def announce(document: Document) -> None:
        cid = document.correlation_id
        get_publisher().publish_document_processing(document.owner_id, document.pk, document.original_filename, cid)
        events.publish_task_started(task_id, document.owner_id, TASK_TYPE, f"Reading {document.original_filename}", correlation_id=cid)

    started = transition(
        Document, document_id, change=start, publish=announce, allowed={Document.Status.UPLOADED},
        finished=FINISHED, current=_of_generation(generation), fields=["status", "updated_at"],
    )
    document = started.job
    if document is None or started.outcome is Outcome.STALE:
        return "stale"
    if started.outcome is Outcome.FINISHED:
        return document.status  # finished by an earlier run of this task
    # APPLIED, or REFUSED because it is processing already: a re-run carries on.
    owner_id, cid = document.owner_id, document.correlation_id
    page_delay = settings.DOCUMENT_PAGE_DELAY_MS / 1000

    def on_page(number: int, total: int | None) -> None:
        if page_delay:
            time.sleep(page_delay)
        progress = min(99, number * 100 // total) if total else 0
        of_total = f" of {total}" if total else ""
        events.publish_task_progress(task_id, owner_id, TASK_TYPE, progress, f"Page {number}{of_total}", correlation_id=cid)

    try:
        result = extract_isolated(document.file.path, document.content_type, extraction_limits(), on_page)
    except ExtractionError as exc:
        if not exc.permanent and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** self.request.retries) from None  # the reader crashed: try again
        return _finish_failed(document_id, generation, exc.code.value, exc.message)
    except Exception as exc:
        if isinstance(exc, self.autoretry_for):
            raise  # transient: Celery retries with backoff
        log.exception("processing document %s failed unexpectedly", document_id)
        return _finish_failed(document_id, generation, "internal_error", "The document could not be read because of an internal error.")
    return _finish_processed(document_id, generation, result)


def _finish_processed(document_id: int, generation: int, result: ExtractionResult) -> str:
    task_id = processing_task_id(document_id, generation)

    def store(document: Document) -> None:
        # Replace the pages in the same transaction: readers see the old set or the new one.
        DocumentPage.objects.filter(document=document).delete()
        DocumentPage.objects.bulk_create(
            [DocumentPage(document=document, number=page.number, text=page.text) for page in result.pages], batch_size=500
        )
        document.status = Document.Status.PROCESSED
        document.page_count = result.page_count
        document.word_count = result.word_count
        document.truncated_at_page = result.truncated_at_page
        document.processed_at = timezone.now()

    def announce(document: Document) -> None:
        cid = document.correlation_id
        # Indexing subscribes to this event (indexing/subscriptions.py): no call across apps.
        get_publisher().publish_document_processed(
            document.owner_id, document.pk, result.page_count, result.word_count, cid, generation=document.generation
        )
        message = f"{result.page_count} pages, {result.word_count} words"
        if result.truncated_at_page:
            message += f" (text kept up to page {result.truncated_at_page}: the document is over the size limit)"
        EventDrivenTask().publish_task_completed(task_id, document.owner_id, TASK_TYPE, message, correlation_id=cid)

    done = transition(
        Document, document_id, change=store, publish=announce,
        allowed={Document.Status.PROCESSING}, current=_of_generation(generation),
    )
    return Document.Status.PROCESSED if done else "stale"


def fail_processing(document_id: int, generation: int, code: str, message: str) -> bool:
    """Fail a processing run from outside it (the watchdog, for a run that stalled): the same
    state change and events as a run that fails; False when it is no longer processing."""
    return _finish_failed(document_id, generation, code, message) != "stale"


def _finish_failed(document_id: int, generation: int, code: str, message: str) -> str:
    task_id = processing_task_id(document_id, generation)

    def record(document: Document) -> None:
        document.status = Document.Status.FAILED
        document.failure_code = code
        document.failure_message = message

    def announce(document: Document) -> None:
        cid = document.correlation_id
        get_publisher().publish_document_failed(document.owner_id, document.pk, code, message, cid)
        EventDrivenTask().publish_task_failed(task_id, document.owner_id, TASK_TYPE, message, correlation_id=cid)

    done = transition(
        Document, document_id, change=record, publish=announce, allowed={Document.Status.PROCESSING},
        current=_of_generation(generation), fields=["status", "failure_code", "failure_message", "updated_at"],
    )
    return Document.Status.FAILED if done else "stale"
