"""The documents API: every format, every bad input, delete, reprocess, duplicates, isolation.
Processing runs inline (eager Celery) here; tests/documents/test_pipeline_live.py runs it on a
real worker."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from documents.models import Document, DocumentPage

from . import files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery", "redis_client")]


def upload(api: APIClient, name: str, content: bytes, title: str | None = None) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content)}
    if title is not None:
        data["title"] = title
    return api.post("/api/documents/", data, format="multipart")


def stream_types(client: redis.Redis, document_id: int) -> list[str]:
    events = [json.loads(f["event"]) for _id, f in client.xrange("study_ai_events")]
    return [e["event_type"] for e in events if e["data"].get("document_id") == document_id]


FORMATS = [
    ("notes.pdf", files.numbered_pdf(3, 2, "mitochondria powerhouse"), "application/pdf", 3, "mitochondria powerhouse", 2),
    (
        "notes.docx",
        files.docx_bytes(["Cell biology basics.", "The nucleus holds DNA."], [["Organelle", "Role"], ["Ribosome", "protein synthesis"]]),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1, "protein synthesis", 1,
    ),
    ("notes.md", b"# Cells\n\nThe **cell membrane** controls transport.\n\n# Energy\n\nATP stores energy.\n", "text/markdown", 2, "ATP stores energy", 2),
    ("notes.txt", "Résumé of osmosis: water moves across membranes.".encode("cp1252"), "text/plain", 1, "Résumé of osmosis", 1),
    (
        "notes.html",
        b"<html><head><style>p{color:red}</style><script>alert('x')</script></head><body><h1>Enzymes</h1><p>Enzymes lower activation energy.</p></body></html>",
        "text/html", 1, "Enzymes lower activation energy", 1,
    ),
]


@pytest.mark.parametrize(("name", "content", "content_type", "pages", "phrase", "page"), FORMATS, ids=[f[0] for f in FORMATS])
def test_each_format_is_processed_with_its_pages(
    api: APIClient, redis_client: redis.Redis, indexing_handover: list[int],
    name: str, content: bytes, content_type: str, pages: int, phrase: str, page: int,
) -> None:
    response = upload(api, name, content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == content_type and body["original_filename"] == name
    detail = api.get(f"/api/documents/{body['id']}/").json()
    assert detail["status"] == "processed", detail
    assert detail["page_count"] == pages and detail["word_count"] > 3 and detail["error"] is None
    stored = DocumentPage.objects.get(document_id=body["id"], number=page)
    assert phrase in " ".join(stored.text.split())  # PDF lines wrap where the layout did
    assert indexing_handover == [body["id"]]
    assert stream_types(redis_client, body["id"]) == ["document.uploaded", "document.processing", "document.processed"]
    if name == "notes.html":
        assert "alert" not in stored.text and "color:red" not in stored.text


def test_list_paginates_and_filters_by_status(api: APIClient, indexing_handover: list[int]) -> None:
    for i in range(3):
        upload(api, f"n{i}.txt", f"note number {i} about cells".encode())
    upload(api, "blank.pdf", files.blank_pdf())
    listing = api.get("/api/documents/").json()
    assert listing["count"] == 4
    assert {d["status"] for d in listing["results"]} == {"processed", "failed"}
    failed = api.get("/api/documents/?status=failed").json()
    assert [d["original_filename"] for d in failed["results"]] == ["blank.pdf"]


@pytest.mark.parametrize(
    ("name", "content", "code", "words"),
    [
        ("locked.pdf", files.encrypted_pdf(), "encrypted", "password"),
        ("half.pdf", files.numbered_pdf(5)[:1500], "truncated", "incomplete"),
        ("junk.pdf", b"%PDF-1.7\n" + b"\x13\x37garbage" * 200 + b"\n%%EOF\n", "corrupt", "damaged"),
        ("blank.pdf", files.blank_pdf(), "no_text", "text"),
        ("bomb.docx", files.zip_bomb_docx(200), "zip_bomb", ""),
    ],
    ids=["encrypted", "truncated", "corrupt", "no-text", "zip-bomb"],
)
def test_bad_documents_fail_with_a_reason(
    api: APIClient, redis_client: redis.Redis, indexing_handover: list[int], name: str, content: bytes, code: str, words: str
) -> None:
    response = upload(api, name, content)
    assert response.status_code == 201, response.json()
    detail = api.get(f"/api/documents/{response.json()['id']}/").json()
    assert detail["status"] == "failed"
    assert detail["error"]["code"] == code, detail
    assert words.lower() in detail["error"]["message"].lower()
    assert DocumentPage.objects.filter(document_id=detail["id"]).count() == 0
    assert indexing_handover == []
    assert stream_types(redis_client, detail["id"])[-1] == "document.failed"
    # The next job is processed normally: nothing about the failure stuck.
    ok = upload(api, "fine.txt", b"a perfectly good note about plant cells")
    assert api.get(f"/api/documents/{ok.json()['id']}/").json()["status"] == "processed"


def test_refused_uploads_get_the_right_status(api: APIClient, settings: Any, indexing_handover: list[int]) -> None:
    settings.MAX_UPLOAD_BYTES = 1000
    too_big = upload(api, "big.txt", b"x" * 1001)
    assert too_big.status_code == 413 and "too large" in too_big.json()["message"]
    settings.MAX_UPLOAD_BYTES = 50 * 1024 * 1024
    empty = upload(api, "empty.txt", b"")
    assert empty.status_code == 400 and empty.json()["error"] == "empty_file"
    missing = api.post("/api/documents/", {"title": "no file"}, format="multipart")
    assert missing.status_code == 400 and missing.json()["message"].startswith("file:")
    png = upload(api, "photo.pdf", files.PNG_BYTES)
    assert png.status_code == 415 and "PNG" in png.json()["message"]
    exe = upload(api, "tool.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4)
    assert exe.status_code == 415
    json_body = api.post("/api/documents/", {"file": "x"}, format="json")
    assert json_body.status_code == 415
    assert Document.objects.count() == 0


def test_oversized_body_is_refused_before_it_is_read(api: APIClient, settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = 10
    response = api.post("/api/documents/", data=b"x" * 200_000, content_type="multipart/form-data; boundary=zzz")
    assert response.status_code == 413


def test_duplicate_is_409_with_the_existing_id(api: APIClient, other_api: APIClient, indexing_handover: list[int]) -> None:
    first = upload(api, "a.txt", b"the same notes about mitosis")
    again = upload(api, "renamed.txt", b"the same notes about mitosis")
    assert again.status_code == 409
    assert again.json()["document_id"] == first.json()["id"] and again.json()["error"] == "duplicate"
    assert upload(other_api, "a.txt", b"the same notes about mitosis").status_code == 201  # another user may


def test_names_are_made_safe_and_title_defaults_to_the_name(api: APIClient, indexing_handover: list[int]) -> None:
    response = upload(api, "../../etc/pass\x00wd.txt", b"safe names please")
    body = response.json()
    assert response.status_code == 201
    assert "/" not in body["original_filename"] and ".." not in body["original_filename"] and "\x00" not in body["original_filename"]
    stored = Path(Document.objects.get(pk=body["id"]).file.path)
    assert stored.is_file() and body["original_filename"] not in stored.name  # a random stored name
    titled = upload(api, "b.txt", b"another note", title="  Biology week 3 ")
    assert titled.json()["title"] == "Biology week 3"


def test_delete_removes_file_pages_and_row(api: APIClient, indexing_handover: list[int]) -> None:
    body = upload(api, "notes.pdf", files.numbered_pdf(2)).json()
    path = Path(Document.objects.get(pk=body["id"]).file.path)
    assert path.exists() and DocumentPage.objects.filter(document_id=body["id"]).count() == 2
    assert api.delete(f"/api/documents/{body['id']}/").status_code == 204
    assert not path.exists()
    assert not Document.objects.filter(pk=body["id"]).exists()
    assert DocumentPage.objects.filter(document_id=body["id"]).count() == 0
    assert api.get(f"/api/documents/{body['id']}/").status_code == 404


def test_reprocess_runs_the_pipeline_again(api: APIClient, redis_client: redis.Redis, indexing_handover: list[int]) -> None:
    body = upload(api, "notes.txt", b"cells divide by mitosis").json()
    response = api.post(f"/api/documents/{body['id']}/reprocess/")
    assert response.status_code == 202
    detail = api.get(f"/api/documents/{body['id']}/").json()
    assert detail["status"] == "processed"
    assert Document.objects.get(pk=body["id"]).generation == 2
    assert stream_types(redis_client, body["id"]).count("document.processed") == 2
    assert indexing_handover == [body["id"], body["id"]]


def test_another_users_document_is_404(api: APIClient, other_api: APIClient, indexing_handover: list[int]) -> None:
    body = upload(api, "mine.txt", b"private notes").json()
    for call in (
        lambda: other_api.get(f"/api/documents/{body['id']}/"),
        lambda: other_api.delete(f"/api/documents/{body['id']}/"),
        lambda: other_api.post(f"/api/documents/{body['id']}/reprocess/"),
    ):
        assert call().status_code == 404
    assert other_api.get("/api/documents/").json()["count"] == 0
    assert Document.objects.filter(pk=body["id"]).exists()


def test_running_the_task_twice_publishes_one_processed(api: APIClient, redis_client: redis.Redis, indexing_handover: list[int]) -> None:
    from documents.tasks import process_document

    body = upload(api, "notes.txt", b"cells divide by mitosis").json()
    document = Document.objects.get(pk=body["id"])
    assert process_document.apply(args=(document.pk, document.generation)).get() == "processed"
    assert stream_types(redis_client, document.pk).count("document.processed") == 1
    assert DocumentPage.objects.filter(document=document).count() == 1
    assert process_document.apply(args=(document.pk, 99)).get() == "stale"


def test_too_many_uploads_is_429(api: APIClient, user: Any, monkeypatch: pytest.MonkeyPatch, indexing_handover: list[int]) -> None:
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    key = f"throttle_uploads_{user.pk}"  # only this key: the cache is the shared Redis
    cache.delete(key)
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/min"})
    assert upload(api, "1.txt", b"first note").status_code == 201
    assert upload(api, "2.txt", b"second note").status_code == 201
    third = upload(api, "3.txt", b"third note")
    assert third.status_code == 429
    assert third.json()["error"] == "throttled" and "available in" in third.json()["message"]
    assert api.get("/api/documents/").status_code == 200  # only uploads are limited this tightly
    cache.delete(key)
