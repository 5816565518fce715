"""Quiz generation on a real worker: the quiz.* events reach a real WebSocket (daphne) in order."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from rest_framework.authtoken.models import Token

from documents.models import Document
from quizzes.models import Quiz

from ..conftest import LiveProcess
from ..notifications.wsclient import FeedClient
from ..conftest import token_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_quiz_events_reach_the_websocket_in_order(
    redis_client: redis.Redis, daphne_proc: LiveProcess, celery_worker_proc: LiveProcess, user: Any, make_document: Callable[..., Document]
) -> None:
    document = make_document()
    client = FeedClient(daphne_proc.port, Token.objects.get_or_create(user=user)[0].key)  # type: ignore[arg-type]
    client.wait_for("unread_count")
    response = token_client(user).post(
        "/api/quizzes/", {"document_ids": [document.pk], "num_questions": 12}, format="json", HTTP_X_REQUEST_ID="quiz-request-1"
    )
    assert response.status_code == 202
    quiz_id = response.json()["id"]

    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while not any(e["event_type"] in ("quiz.generated", "quiz.generation.failed") for e in seen):
        assert time.monotonic() < deadline, seen
        frame = client.next_frame(timeout=30)
        if frame["type"] == "event" and frame["event"]["event_type"].startswith("quiz."):
            seen.append(frame["event"])
    types = [e["event_type"] for e in seen]
    assert types[0] == "quiz.generation.started" and types[-1] == "quiz.generated"
    assert set(types[1:-1]) == {"quiz.generation.progress"} and len(types) >= 3
    assert {e["correlation_id"] for e in seen} == {"quiz-request-1"}  # the request's, carried to the worker
    assert seen[0]["data"] == {"quiz_id": quiz_id, "document_ids": [document.pk], "num_questions": 12}
    assert seen[-2]["data"] == {"quiz_id": quiz_id, "current": 12, "total": 12}
    assert seen[-1]["data"] == {"quiz_id": quiz_id, "question_count": 12}
    # A client that reacts to quiz.generated reads the quiz, ready.
    quiz = token_client(user).get(f"/api/quizzes/{quiz_id}/").json()
    assert quiz["status"] == "ready" and len(quiz["questions"]) == 12
    assert Quiz.objects.get(pk=quiz_id).runs == 1
    client.close()
