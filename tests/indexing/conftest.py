from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from rest_framework.test import APIClient

from documents.models import Document, DocumentPage
from indexing import indexer
from indexing.jobs import reindex_job
from studyai.events.models import OutboxEvent

from ..conftest import token_client

_sha = itertools.count(1)


def make_document(owner: Any, title: str, pages: Sequence[str], status: str = Document.Status.PROCESSED) -> Document:
    document = Document.objects.create(
        owner=owner,
        title=title,
        original_filename=f"{title}.txt",
        content_type="text/plain",
        size=sum(len(p) for p in pages),
        sha256=hashlib.sha256(f"{title}-{next(_sha)}".encode()).hexdigest(),
        status=status,
        page_count=len(pages),
    )
    DocumentPage.objects.bulk_create([DocumentPage(document=document, number=n, text=t) for n, t in enumerate(pages, 1)])
    return document


def index(document: Document) -> int:
    """Index a document now, in this process, as `manage.py reindex` does."""
    job, _ = reindex_job(document)
    count = indexer.run(job)
    assert count is not None
    return count


def indexing_events(document: Document | None = None) -> list[dict[str, Any]]:
    """The indexing.* events published so far (read from the outbox: in a test's transaction
    nothing is relayed), in order."""
    rows = OutboxEvent.objects.filter(event_type__startswith="indexing.").order_by("pk")
    events = [row.payload for row in rows]
    return [e for e in events if document is None or e["data"]["document_id"] == document.pk]


@pytest.fixture
def api_for() -> Callable[[Any], APIClient]:
    return token_client
