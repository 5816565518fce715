"""`manage.py ingest` and the admin go through the same checks and pipeline as the API."""
from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from documents.models import Document, DocumentPage

from . import files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_client", "eager_celery")]
SAMPLES = Path(__file__).parent / "samples"


def test_ingest_a_folder_inline_with_a_summary(tmp_path: Path, user: Any, indexing_handover: list[int]) -> None:
    folder = tmp_path / "course"
    shutil.copytree(SAMPLES, folder)
    (folder / "week2").mkdir()
    (folder / "week2" / "slides.pdf").write_bytes(files.numbered_pdf(3))
    (folder / "week2" / "copy-of-notes.md").write_bytes((SAMPLES / "photosynthesis.md").read_bytes())  # a duplicate
    (folder / "locked.pdf").write_bytes(files.encrypted_pdf())
    (folder / "photo.pdf").write_bytes(files.PNG_BYTES)
    (folder / "empty.txt").write_bytes(b"")

    out = io.StringIO()
    call_command("ingest", str(folder), "--user", "alice", "--inline", stdout=out)
    summary = out.getvalue()
    assert "processed: 4" in summary
    assert "failed: 1" in summary and "locked.pdf" in summary and "password" in summary
    assert "duplicates: 1" in summary and "already uploaded as document" in summary
    assert "refused: 2" in summary and "photo.pdf" in summary and "empty" in summary
    html = Document.objects.get(original_filename="lecture-notes.html")
    text = " ".join(DocumentPage.objects.filter(document=html).values_list("text", flat=True))
    assert "Glycolysis happens in the cytoplasm" in text
    assert "dataLayer" not in text and "display: flex" not in text
    latin = Document.objects.get(original_filename="notes-latin1.txt")
    assert "méiose" in DocumentPage.objects.get(document=latin, number=1).text
    assert sorted(indexing_handover) == sorted(Document.objects.filter(status="processed").values_list("pk", flat=True))
    # One correlation id for the whole run: on every document it uploaded, and printed.
    ids = set(Document.objects.values_list("correlation_id", flat=True))
    assert len(ids) == 1 and f"correlation id: {ids.pop()}" in summary


def test_ingest_refuses_bad_arguments(tmp_path: Path, user: Any) -> None:
    with pytest.raises(CommandError, match="no user named"):
        call_command("ingest", str(tmp_path), "--user", "nobody")
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest", str(tmp_path / "missing"), "--user", "alice")
    with pytest.raises(CommandError, match="no files"):
        call_command("ingest", str(tmp_path), "--user", "alice")


def test_admin_lists_filters_searches_and_reprocesses(django_user_model: Any, user: Any, indexing_handover: list[int]) -> None:
    call_command("ingest", str(SAMPLES), "--user", "alice", "--inline", stdout=io.StringIO())
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/documents/document/?status__exact=processed&q=photosynthesis")
    assert listing.status_code == 200
    assert b"photosynthesis.md" in listing.content and b"lecture-notes.html" not in listing.content
    document = Document.objects.get(original_filename="photosynthesis.md")
    detail = client.get(f"/admin/documents/document/{document.pk}/change/")
    assert detail.status_code == 200 and b"Light-dependent reactions" in detail.content
    response = client.post(
        "/admin/documents/document/", {"action": "reprocess_documents", "_selected_action": [document.pk]}, follow=True
    )
    assert response.status_code == 200 and b"sent for processing again" in response.content
    document.refresh_from_db()
    assert document.generation == 2 and document.status == "processed"
    path = Path(document.file.path)
    client.post("/admin/documents/document/", {"action": "delete_with_files", "_selected_action": [document.pk]}, follow=True)
    assert not Document.objects.filter(pk=document.pk).exists() and not path.exists()
