"""One indexing run: read the pages, split them into chunks, embed them (semantic extra), then
replace the document's chunks in one transaction.

Nothing is written before that last transaction, so a run killed at any point leaves the old
chunks whole and its re-run starts from a clean slate; the unique chunk keys make a duplicate
impossible even so. Searches see either all the old chunks or all the new ones.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from django.db import connection

from documents.models import Document, DocumentPage

from .chunking import Span, chunk_key, count_words, split_pages
from .conf import indexing_settings
from .jobs import JobRun, NotIndexable
from .models import Chunk, ChunkEmbedding, DocumentIndexStats, IndexJob
from .search import semantic
from .search.postgres import copy_chunks, store_stats

log = logging.getLogger(__name__)

INSERT_BATCH = 1000
CHUNK_COLUMNS = ("document_id", "key", "page_number", "ordinal", "char_start", "char_end", "text", "words")


def run(job: IndexJob, task_id: str = "", will_retry: Callable[[BaseException], bool] = lambda exc: False) -> int | None:
    """Index the job's document. Returns the number of chunks written, or None when the run had
    nothing to do (the job was already finished, or the document changed meanwhile). An error
    fails the job (publishing indexing.failed) unless `will_retry(error)` says the task retries."""
    attempt = JobRun(job, task_id)
    if not attempt.start():
        return None
    try:
        return _index(attempt)
    except Exception as exc:
        final = not will_retry(exc)
        log.log(logging.ERROR if final else logging.WARNING, "index job %s failed: %s", job.pk, exc, exc_info=final)
        attempt.fail(str(exc) or type(exc).__name__, final=final)
        raise


def _index(attempt: JobRun) -> int | None:
    job = attempt.job
    document = Document.objects.filter(pk=job.document_id).first()
    if document is None or document.generation != job.generation:
        attempt.supersede()
        return None
    if document.status != Document.Status.PROCESSED:
        raise NotIndexable(f"Document {document.pk} is {document.status}: only a processed document can be indexed.")
    config = indexing_settings()
    timings: dict[str, int] = {}

    started = time.perf_counter()
    pages = DocumentPage.objects.filter(document=document).order_by("number").values_list("number", "text")
    spans = split_pages(pages, config.chunk_size, config.chunk_overlap)
    timings["chunk_ms"] = _ms_since(started)

    started = time.perf_counter()
    vectors = _prepare(spans, attempt)
    timings["prepare_ms"] = _ms_since(started)

    return attempt.commit(lambda locked: write_chunks(locked, job.generation, spans, vectors), timings)


def _prepare(spans: Sequence[Span], attempt: JobRun) -> list[bytes] | None:
    """Everything a chunk needs before it is written (its embedding, with the semantic extra),
    reporting progress as it goes. Vectors in span order, or None without the extra."""
    delay = indexing_settings().chunk_delay
    use_semantic = semantic.enabled()
    vectors: list[bytes] = []
    step = semantic.ENCODE_BATCH if use_semantic else 1
    total = len(spans)
    attempt.progress(0, total)
    for start in range(0, total, step):
        batch = spans[start : start + step]
        if delay:
            time.sleep(delay * len(batch))
        if use_semantic:
            vectors.extend(semantic.embed([span.text for span in batch]))
        attempt.progress(start + len(batch), total)
    return vectors if use_semantic else None


def write_chunks(document: Document, generation: int, spans: Sequence[Span], vectors: Sequence[bytes] | None) -> int:
    """Replace the document's chunks (and embeddings) with `spans`. Call inside a transaction."""
    Chunk.objects.filter(document=document).delete()
    rows = [
        (document.pk, chunk_key(document.pk, generation, s), s.page_number, s.ordinal, s.char_start, s.char_end, s.text,
         count_words(s.text))
        for s in spans
    ]  # fmt: skip
    if connection.vendor == "postgresql":
        copy_chunks(rows)
        store_stats(document.pk)
    else:
        Chunk.objects.bulk_create([Chunk(**dict(zip(CHUNK_COLUMNS, row, strict=True))) for row in rows], batch_size=INSERT_BATCH)
        lengths = [row[-1] for row in rows]
        DocumentIndexStats.objects.update_or_create(
            document=document, defaults={"chunks": len(rows), "words": sum(lengths), "shortest": min(lengths, default=0)}
        )
    if vectors is not None:
        ids = dict(Chunk.objects.filter(document=document).values_list("ordinal", "pk"))
        ChunkEmbedding.objects.bulk_create(
            [ChunkEmbedding(chunk_id=ids[span.ordinal], vector=vector) for span, vector in zip(spans, vectors, strict=True)],
            batch_size=INSERT_BATCH,
        )
    return len(rows)


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
