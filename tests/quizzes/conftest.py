"""Quiz fixtures: documents built directly in the database (processed, with pages and chunks),
so these tests depend on neither extraction nor indexing; and the same material as plain
values for the generator's pure tests."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from documents.models import Document, DocumentPage
from indexing.models import Chunk
from quizzes.generators import Material

from .corpus import PAGES, material_of, paragraph_spans


@pytest.fixture(scope="session")
def corpus() -> Material:
    return material_of(PAGES)


@pytest.fixture
def make_document(user: Any) -> Callable[..., Document]:
    def make(pages: list[str] = PAGES, owner: Any = None, status: str = Document.Status.PROCESSED, title: str = "Study notes") -> Document:
        document = Document.objects.create(
            owner=owner or user, title=title, original_filename="notes.pdf", file="documents/notes.pdf",
            content_type="application/pdf", size=1000, sha256=uuid.uuid4().hex, status=status, page_count=len(pages),
        )
        DocumentPage.objects.bulk_create([DocumentPage(document=document, number=n, text=t) for n, t in enumerate(pages, start=1)])
        chunks = [
            (number, start, end, text[start:end])
            for number, text in enumerate(pages, start=1)
            for start, end in paragraph_spans(text)
        ]
        Chunk.objects.bulk_create(
            [
                Chunk(document=document, key=uuid.uuid4().hex, page_number=n, ordinal=i, char_start=s, char_end=e, text=t)
                for i, (n, s, e, t) in enumerate(chunks)
            ]
        )
        return document

    return make


