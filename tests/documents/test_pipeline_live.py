"""The document pipeline on a real worker, daphne and notification service: the events of an
upload arrive over a real WebSocket in order."""
from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from documents.models import Document

from ..conftest import LiveProcess, wait_for_notification
from ..notifications.wsclient import FeedClient
from . import files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def wait_for_status(document_id: int, statuses: set[str], timeout: float = 60.0) -> Document:
    deadline = time.monotonic() + timeout
    while True:
        document = Document.objects.get(pk=document_id)
        if document.status in statuses:
            return document
        assert time.monotonic() < deadline, f"document {document_id} stuck in {document.status}"
        time.sleep(0.1)


def stream_events(client: redis.Redis, document_id: int) -> list[dict[str, Any]]:
    events = [json.loads(f["event"]) for _id, f in client.xrange("study_ai_events")]
    return [e for e in events if e["data"].get("document_id") == document_id or str(e["data"].get("task_id", "")).startswith(f"doc_process_{document_id}_")]


def test_upload_events_reach_the_websocket_in_order(
    redis_client: redis.Redis, daphne_proc: LiveProcess, celery_worker_proc: LiveProcess, indexing_service: LiveProcess, notification_service: LiveProcess, user: Any, other_user: Any
) -> None:
    key = Token.objects.create(user=user).key
    client = FeedClient(daphne_proc.port, key)  # type: ignore[arg-type]
    client.wait_for("unread_count")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/documents/", {"file": SimpleUploadedFile("bio.pdf", files.numbered_pdf(12))}, format="multipart")
    assert response.status_code == 201
    document_id = response.json()["id"]

    seen: list[str] = []
    deadline = time.monotonic() + 60
    while "document.processed" not in seen or "task.status.update:completed" not in seen:
        assert time.monotonic() < deadline, seen
        try:
            frame = client.next_frame(timeout=30)
        except TimeoutError:
            raise AssertionError(f"stalled after {seen}; frames: {client.frames}") from None
        if frame["type"] == "event":
            event = frame["event"]
            kind = event["event_type"]
            seen.append(f"{kind}:{event['data']['status']}" if kind == "task.status.update" else kind)
    progress = [s for s in seen if s == "task.status.update:processing"]
    assert [s for s in seen if s != "task.status.update:processing"] == [
        "document.uploaded", "document.processing", "task.status.update:started", "document.processed", "task.status.update:completed",
    ]
    assert seen.index("task.status.update:started") < seen.index("document.processed")
    assert progress, "page progress arrives between started and processed"
    first_progress = seen.index("task.status.update:processing")
    assert seen.index("task.status.update:started") < first_progress < seen.index("document.processed")
    # The terminal events are stored and pushed as notifications too.
    note = client.wait_for("notification", timeout=30)["notification"]
    assert note["event_type"] in {"document.processed", "task.status.update"}
    document = wait_for_status(document_id, {"processed"})
    assert document.page_count == 12
    client.close()

    # The task's state, from django-celery-results, for its owner only.
    deadline = time.monotonic() + 10
    while (state := api.get(f"/api/tasks/{document.task_id}/").json())["status"] != "SUCCESS":
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    assert state["name"] == "documents.tasks.process_document" and state["result"] == "processed"
    stranger = APIClient()
    stranger.force_authenticate(other_user)
    assert stranger.get(f"/api/tasks/{document.task_id}/").status_code == 404
    assert api.get("/api/tasks/not-a-task/").status_code == 404
    wait_for_notification(user, "indexing.completed")  # the hand-over to indexing ran to its end
