"""The indexing task (indexing_queue, routed by module in settings.CELERY_TASK_ROUTES)."""
from __future__ import annotations

import logging
from typing import Any

from studyai.celery import TRANSIENT_ERRORS, indexing_task

from . import indexer
from .jobs import pipeline_job
from .models import IndexJob

log = logging.getLogger(__name__)


@indexing_task
def index_document(self: Any, document_id: int, generation: int, job_id: int | None = None) -> dict[str, int] | None:
    """Index one generation of a processed document. The documents pipeline calls it as
    `index_document.delay(document.pk, document.generation)`; a re-index passes the job it
    created. Idempotent: a duplicate or re-delivered call finds the same job, and a finished job
    is not run again, so there is one set of chunks and one indexing.completed. A stale call
    (the document was reprocessed since) writes nothing."""
    if job_id is None:
        job = pipeline_job(document_id, generation)
    else:
        job = IndexJob.objects.filter(pk=job_id, document_id=document_id, generation=generation).first()
    if job is None:
        log.info("index_document(%s, %s): the document is gone or at another generation", document_id, generation)
        return None

    def will_retry(exc: BaseException) -> bool:
        # Mirrors StudyTask's autoretry: transient errors are retried until max_retries.
        return isinstance(exc, TRANSIENT_ERRORS) and self.request.retries < self.max_retries

    count = indexer.run(job, task_id=self.request.id or "", will_retry=will_retry)
    return None if count is None else {"job_id": job.pk, "chunk_count": count}
