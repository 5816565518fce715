"""What a newcomer does, for real (daphne, a Celery worker on every queue, the notification
service, Redis): upload a PDF, watch it over the WebSocket until it is searchable, ask for a quiz,
watch it generate, take it, and get a graded attempt whose every question cites its page."""
from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from .conftest import LiveProcess, token_client, wait_for_notification
from .documents import files
from .notifications.wsclient import FeedClient
from .quizzes.corpus import PAGES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def wait_for_event(client: FeedClient, event_type: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = client.next_frame(timeout=max(0.1, deadline - time.monotonic()))
        if frame["type"] == "event" and frame["event"]["event_type"] == event_type:
            return frame["event"]
        failed = frame["type"] == "event" and frame["event"]["event_type"].endswith("failed")
        assert not failed, frame


def test_upload_search_quiz_attempt(
    redis_client: redis.Redis, daphne_proc: LiveProcess, celery_worker_proc: LiveProcess, indexing_service: LiveProcess,
    notification_service: LiveProcess, user: Any,
) -> None:
    api = token_client(user)
    feed = FeedClient(daphne_proc.port, Token.objects.get(user=user).key)  # type: ignore[arg-type]
    feed.wait_for("unread_count")

    upload = api.post("/api/documents/", {"file": SimpleUploadedFile("biology.pdf", files.pdf(PAGES))}, format="multipart")
    assert upload.status_code == 201, upload.json()
    document_id = upload.json()["id"]
    assert wait_for_event(feed, "document.processed")["data"]["page_count"] == len(PAGES)
    assert wait_for_event(feed, "indexing.completed")["data"]["document_id"] == document_id

    hits = api.get("/api/search/", {"q": "rubisco"}).json()["results"]
    assert hits and hits[0]["document"]["id"] == document_id and hits[0]["page"] == 1
    assert "<mark>" in hits[0]["snippet"].lower()

    created = api.post("/api/quizzes/", {"document_ids": [document_id], "num_questions": 8}, format="json")
    assert created.status_code == 202, created.json()
    quiz_id = created.json()["id"]
    assert wait_for_event(feed, "quiz.generated")["data"]["quiz_id"] == quiz_id
    quiz = api.get(f"/api/quizzes/{quiz_id}/").json()
    assert quiz["status"] == "ready" and quiz["questions"]

    answers = []
    for question in quiz["questions"]:
        if question["type"] == "multiple_choice":
            answers.append({"question": question["id"], "answer": question["options"][0]["id"]})
        elif question["type"] == "true_false":
            answers.append({"question": question["id"], "answer": True})
        else:
            answers.append({"question": question["id"], "answer": "photosynthesis"})
    attempt = api.post(f"/api/quizzes/{quiz_id}/attempts/", {"answers": answers}, format="json")
    assert attempt.status_code == 201, attempt.json()
    graded = attempt.json()
    assert len(graded["results"]) == len(quiz["questions"]) and 0 <= graded["score"] <= 100
    for result in graded["results"]:
        citation = result["citation"]
        assert citation["document"] == document_id and 1 <= citation["page"] <= len(PAGES)
        assert result["correct_answer"] and result["explanation"]
    # The terminal events became notifications in the user's durable feed.
    wait_for_notification(user, "quiz.generated")
    kinds = {n["event_type"] for n in api.get("/api/notifications/").json()["results"]}
    assert {"document.processed", "indexing.completed", "quiz.generated"} <= kinds
    feed.close()
