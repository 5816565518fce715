"""GET /healthz reports the database, Redis and the workers, and says 503 when one is down."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from studyai.events.transport import reset_transport


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_healthy_with_a_worker_on_every_queue(redis_client: Any, celery_worker_proc: Any) -> None:
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["database"]["ok"] and body["redis"]["ok"] and body["workers"]["ok"]
    assert all(body["workers"]["queues"][q] for q in ("document_queue", "indexing_queue", "quiz_queue"))


@pytest.mark.django_db
def test_503_when_redis_is_down(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    reset_transport()
    try:
        response = Client().get("/healthz")
    finally:
        reset_transport()
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable" and body["database"]["ok"] is True
    assert body["redis"]["ok"] is False and "error" in body["redis"]
    assert body["workers"]["ok"] is False


@pytest.mark.django_db
def test_503_when_no_worker_consumes_a_queue(redis_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The broker answers, but the workers' replies say nobody consumes quiz_queue.
    from studyai import health

    class Inspect:
        def active_queues(self) -> dict[str, list[dict[str, str]]]:
            return {"w1@host": [{"name": "document_queue"}, {"name": "indexing_queue"}]}

    monkeypatch.setattr(health.app.control, "inspect", lambda timeout: Inspect())
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["redis"]["ok"] and body["database"]["ok"]
    assert body["workers"]["ok"] is False and "quiz_queue" in body["workers"]["error"]
    assert body["workers"]["queues"]["document_queue"] == ["w1@host"]
