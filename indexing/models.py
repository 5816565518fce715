"""Chunks (the searchable, citable passages of a document) and index jobs (one row per indexing run).

The full-text index lives beside the chunk table and is kept by the database itself (see
migrations/0002_fulltext): on PostgreSQL a generated `tsvector` column with a GIN index, on SQLite
an external-content FTS5 table kept in step by triggers. So inserting or deleting chunks (a
cascade from a deleted document included) is all it takes to update the index.

SQLite caveat: a migration that makes Django rebuild `indexing_chunk` (most field alterations do)
drops the triggers; such a migration must recreate them (0002's SQL) and rebuild the FTS table.
"""
from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q

from documents.models import Document


class Chunk(models.Model):
    """A passage of one page: `text == document.pages[page_number].text[char_start:char_end]`."""

    # No index of its own: the (document, ordinal) constraint's index serves the lookups.
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    # Stable id of the passage (indexing.chunking.chunk_key): unique, so a re-run cannot duplicate.
    key = models.CharField(max_length=32)
    page_number = models.PositiveIntegerField()  # 1-based, as DocumentPage.number
    ordinal = models.PositiveIntegerField()  # position within the document, from 0
    char_start = models.PositiveIntegerField()
    char_end = models.PositiveIntegerField()
    text = models.TextField()
    # Its length for BM25 on both engines: its words as FTS5 counts them (runs of letters and
    # digits, stop words included; indexing.chunking.count_words), so PostgreSQL ranks as SQLite does.
    words = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["document", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="chunk_unique_key"),  # (unique=True would add a LIKE index)
            models.UniqueConstraint(fields=["document", "ordinal"], name="chunk_unique_ordinal"),
        ]
        # A page's chunks, for the span of a result page's matches (search/postgres.py).
        indexes = [models.Index(fields=["document", "page_number"], name="chunk_page")]

    def __str__(self) -> str:
        return f"{self.document_id} p.{self.page_number} [{self.char_start}:{self.char_end}]"


class DocumentIndexStats(models.Model):
    """A document's share of BM25's collection statistics (search/postgres.py, search/proximity.py):
    how many chunks it has and their total length in words, written with the chunks. So a search
    sums a row per document instead of reading every chunk of the user's. (SQLite's FTS5 bm25()
    keeps its own; there only the proximity scores read these.)"""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, primary_key=True, related_name="index_stats")
    chunks = models.PositiveIntegerField()
    words = models.PositiveBigIntegerField()
    shortest = models.PositiveIntegerField(default=0)  # the words of its shortest chunk: MaxScore's bounds


class LexemeCount(models.Model):
    """How many of a document's chunks hold a lexeme (PostgreSQL only), written with the chunks:
    BM25's document frequencies known *before* a search reads any chunk, so it can skip the
    chunks of its common words that cannot reach the page asked for (MaxScore, search/postgres.py).
    SQLite's FTS5 keeps its own statistics; there the table stays empty."""

    # (document, lexeme) is the key and its only index: a document's rows are written together at
    # one end of it (a lexeme-first index took five times as long to fill), deleted by its prefix,
    # and a search looks up (each of the user's documents, each word) in it.
    pk = models.CompositePrimaryKey("document", "lexeme")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+", db_index=False)
    lexeme = models.TextField()
    chunks = models.PositiveIntegerField()
    most = models.PositiveIntegerField()  # the most times one chunk holds it (its tf): MaxScore's bounds


class ChunkEmbedding(models.Model):
    """The semantic-search vector of a chunk (only with the semantic extra): float32, normalised.
    Its own table, so the chunk rows that keyword search reads stay small."""

    chunk = models.OneToOneField(Chunk, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    vector = models.BinaryField()


class IndexJob(models.Model):
    """The durable state of one indexing run; the indexing.* events are published from it."""

    class Status(models.TextChoices):
        QUEUED = "queued"  # waiting for a worker, or for a retry after a transient error
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        SUPERSEDED = "superseded"  # the document was reprocessed while it ran: nothing written

    class Trigger(models.TextChoices):
        PIPELINE = "pipeline"  # the document was processed
        REINDEX = "reindex"  # the API or `manage.py reindex`

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    # A queued or running job older than this is presumed lost (above Celery's visibility timeout).
    STALE_AFTER = timedelta(minutes=40)

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="index_jobs")
    generation = models.PositiveIntegerField()  # the Document.generation whose text it indexes
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=255, blank=True)
    # Of the request (or the processed document's) that started the job: what its events carry.
    correlation_id = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # runs started (a killed worker's re-run counts)
    failures = models.PositiveIntegerField(default=0)  # runs that ended in an error
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # the last error, even when a retry then succeeded
    timings = models.JSONField(default=dict, blank=True)  # milliseconds per phase of the last run
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)  # of the last attempt
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["document", "status"], name="indexjob_document_status")]
        constraints = [
            # One job per processed generation: a duplicate delivery finds it instead of starting another.
            models.UniqueConstraint(
                fields=["document", "generation"], condition=Q(trigger="pipeline"), name="indexjob_one_per_generation"
            )
        ]

    def __str__(self) -> str:
        return f"index job {self.pk} of document {self.document_id} ({self.status})"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None
