"""Uploaded study material and its extracted text, page by page."""
from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models


def stored_file_name(instance: "Document", filename: str) -> str:
    # A random name: the user's file name never touches the file system.
    return f"documents/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()[:10]}"


class Document(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded"
        PROCESSING = "processing"
        PROCESSED = "processed"
        FAILED = "failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    original_filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=stored_file_name, max_length=255)
    content_type = models.CharField(max_length=100)  # sniffed from the content, not the name
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED, db_index=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)
    page_count = models.PositiveIntegerField(default=0)
    word_count = models.PositiveIntegerField(default=0)
    truncated_at_page = models.PositiveIntegerField(null=True, blank=True)
    # Bumped by each reprocess: a stale run of an earlier generation finds it changed and stops.
    generation = models.PositiveIntegerField(default=1)
    task_id = models.CharField(max_length=255, blank=True)
    # Of the request that started the current generation's run: what its events and logs carry.
    correlation_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "sha256"], name="document_unique_content_per_owner")]
        indexes = [models.Index(fields=["owner", "status"], name="document_owner_status")]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class DocumentPage(models.Model):
    """The text of one page (PDF) or section (other formats): what search and quizzes cite."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()  # 1-based
    text = models.TextField()

    class Meta:
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="page_unique_number")]

    def __str__(self) -> str:
        return f"{self.document_id} p.{self.number}"
