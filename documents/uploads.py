"""Accepting an upload: size, emptiness, type from content, duplicates, a safe stored name.

Shared by the API, the admin and `manage.py ingest`, so all three refuse the same files for the
same reasons.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction

from studyai import correlation
from studyai.events.publisher import get_publisher

from .extract import SNIFF_BYTES, UnsupportedFileType, make_safe_filename, sniff
from .models import Document


class UploadRefused(Exception):
    """An upload we do not take. `status` is the HTTP status that says why."""

    status = 400
    code = "invalid_upload"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileTooLarge(UploadRefused):
    status = 413
    code = "file_too_large"


class EmptyFile(UploadRefused):
    status = 400
    code = "empty_file"


class UnsupportedType(UploadRefused):
    status = 415
    code = "unsupported_file_type"


class Duplicate(UploadRefused):
    status = 409
    code = "duplicate"

    def __init__(self, existing: Document) -> None:
        super().__init__(f"You already uploaded this file as document {existing.pk} ({existing.title!r}).")
        self.existing = existing


@dataclass(frozen=True)
class Inspected:
    size: int
    sha256: str
    content_type: str


def too_large_message(size: int | None = None) -> str:
    limit_mb = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
    got = f" ({size / (1024 * 1024):.1f} MB)" if size is not None else ""
    return f"The file is too large{got}: the limit is {limit_mb:.0f} MB."


def inspect(stream: IO[bytes], filename: str) -> Inspected:
    """Read the file once: its size (refused past the limit), hash and sniffed type."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    stream.seek(0)
    for block in iter(lambda: stream.read(1024 * 1024), b""):
        if len(head) < SNIFF_BYTES:
            head += block[: SNIFF_BYTES - len(head)]
        size += len(block)
        if size > settings.MAX_UPLOAD_BYTES:
            raise FileTooLarge(too_large_message())
        digest.update(block)
    stream.seek(0)
    if size == 0:
        raise EmptyFile("The file is empty.")
    try:
        content_type = sniff(head, filename)
    except UnsupportedFileType as exc:
        raise UnsupportedType(exc.message) from None
    return Inspected(size=size, sha256=digest.hexdigest(), content_type=content_type)


def accept_upload(owner: Any, stream: IO[bytes], filename: str, title: str | None = None) -> Document:
    """Store the file and create its Document; processing starts once this commits.
    Raises UploadRefused (with its HTTP status) for anything we do not take."""
    from .tasks import enqueue_processing

    safe_name = make_safe_filename(filename or "upload")
    facts = inspect(stream, safe_name)
    existing = Document.objects.filter(owner=owner, sha256=facts.sha256).first()
    if existing is not None:
        raise Duplicate(existing)
    document = Document(
        owner=owner,
        title=(title or "").strip()[:300] or safe_name,
        original_filename=safe_name,
        content_type=facts.content_type,
        size=facts.size,
        sha256=facts.sha256,
        correlation_id=correlation.current(),  # the upload request's: its processing's events and logs carry it
    )
    document.file.save(safe_name, File(stream), save=False)
    try:
        with transaction.atomic():
            document.save()
            get_publisher().publish_document_uploaded(
                owner.pk, document.pk, safe_name, facts.size, facts.content_type, document.correlation_id
            )
            enqueue_processing(document)
    except IntegrityError:
        document.file.delete(save=False)  # the same file, uploaded twice at the same moment
        raise Duplicate(Document.objects.get(owner=owner, sha256=facts.sha256)) from None
    except BaseException:
        document.file.delete(save=False)  # nothing half-written: no row, no orphan file
        raise
    return document
