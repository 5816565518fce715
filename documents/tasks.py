"""Document processing on document_queue: extraction page by page, with lifecycle events.

Idempotent: the document row says how far a run got. A re-run (a killed worker's task delivered
again) finishes what is unfinished and publishes nothing twice; a run of an older generation
(the document was reprocessed since) stops without writing.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studyai.celery import document_task
from studyai.dispatch import dispatch
from studyai.events.publisher import get_publisher
from studyai.events.tasks import EventDrivenTask

from .extract import ExtractionError, ExtractionLimits, ExtractionResult, extract_isolated
from .models import Document, DocumentPage

log = logging.getLogger(__name__)
TASK_TYPE = "document_processing"


def enqueue_processing(document: Document) -> None:
    """Start processing once the current transaction commits (the worker must see the row),
    durably: a broker that is down delays it, never loses it (studyai/dispatch.py)."""
    task_id = dispatch(process_document, document.pk, document.generation)
    Document.objects.filter(pk=document.pk, generation=document.generation).update(task_id=task_id)


def reprocess(document: Document) -> Document:
    """Run the pipeline again (a new generation); the old pages stay searchable until then."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        locked.generation += 1
        locked.status = Document.Status.UPLOADED
        locked.failure_code = locked.failure_message = ""
        locked.save(update_fields=["generation", "status", "failure_code", "failure_message", "updated_at"])
        enqueue_processing(locked)
    return locked


def delete_document(document: Document) -> None:
    """Delete a document with everything derived from it (what other apps derived goes by their
    own receivers of the delete: indexing removes its chunks), and its file once that committed."""
    file = document.file
    with transaction.atomic():
        document.delete()
        transaction.on_commit(lambda: file.delete(save=False))


def extraction_limits() -> ExtractionLimits:
    return ExtractionLimits(**settings.EXTRACTION_LIMITS)


@document_task
def process_document(self: Any, document_id: int, generation: int) -> str:
    events = EventDrivenTask()
    publisher = get_publisher()
    task_id = f"doc_process_{document_id}_{generation}"  # the same on a re-run: one job

    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.generation != generation:
            return "stale"
        if document.status in (Document.Status.PROCESSED, Document.Status.FAILED):
            return document.status  # finished by an earlier run of this task
        if document.status == Document.Status.UPLOADED:
            document.status = Document.Status.PROCESSING
            document.save(update_fields=["status", "updated_at"])
            publisher.publish_document_processing(document.owner_id, document.pk, document.original_filename, task_id)
            events.publish_task_started(task_id, document.owner_id, TASK_TYPE, f"Reading {document.original_filename}")
    owner_id = document.owner_id
    page_delay = settings.DOCUMENT_PAGE_DELAY_MS / 1000

    def on_page(number: int, total: int | None) -> None:
        if page_delay:
            time.sleep(page_delay)
        progress = min(99, number * 100 // total) if total else 0
        of_total = f" of {total}" if total else ""
        events.publish_task_progress(task_id, owner_id, TASK_TYPE, progress, f"Page {number}{of_total}")

    try:
        result = extract_isolated(document.file.path, document.content_type, extraction_limits(), on_page)
    except ExtractionError as exc:
        if not exc.permanent and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** self.request.retries) from None  # the reader crashed: try again
        return _finish_failed(document_id, generation, task_id, exc.code.value, exc.message)
    except Exception as exc:
        if isinstance(exc, self.autoretry_for):
            raise  # transient: Celery retries with backoff
        log.exception("processing document %s failed unexpectedly", document_id)
        return _finish_failed(document_id, generation, task_id, "internal_error", "The document could not be read because of an internal error.")
    return _finish_processed(document_id, generation, task_id, result)


def _finish_processed(document_id: int, generation: int, task_id: str, result: ExtractionResult) -> str:
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.generation != generation or document.status != Document.Status.PROCESSING:
            return "stale"
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
        document.save()
        # Indexing subscribes to this event (indexing/subscriptions.py): no call across apps.
        get_publisher().publish_document_processed(
            document.owner_id, document.pk, result.page_count, result.word_count, task_id, generation=document.generation
        )
        message = f"{result.page_count} pages, {result.word_count} words"
        if result.truncated_at_page:
            message += f" (text kept up to page {result.truncated_at_page}: the document is over the size limit)"
        EventDrivenTask().publish_task_completed(task_id, document.owner_id, TASK_TYPE, message)
    return Document.Status.PROCESSED


def fail_processing(document_id: int, generation: int, code: str, message: str) -> bool:
    """Fail a processing run from outside it (the watchdog, for a run that stalled): the same
    state change and events as a run that fails; False when it is no longer processing."""
    return _finish_failed(document_id, generation, f"doc_process_{document_id}_{generation}", code, message) != "stale"


def _finish_failed(document_id: int, generation: int, task_id: str, code: str, message: str) -> str:
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.generation != generation or document.status != Document.Status.PROCESSING:
            return "stale"
        document.status = Document.Status.FAILED
        document.failure_code = code
        document.failure_message = message
        document.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
        get_publisher().publish_document_failed(document.owner_id, document.pk, code, message, task_id)
        EventDrivenTask().publish_task_failed(task_id, document.owner_id, TASK_TYPE, message)
    return Document.Status.FAILED
