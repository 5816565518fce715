"""Malformed requests to every endpoint get a 4xx JSON error that says what is wrong, never a 500."""
from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]

CASES: list[tuple[str, str, Any, str]] = [
    ("get", "/api/documents/?status=exploded", None, "json"),
    ("get", "/api/documents/?page=zero", None, "json"),
    ("get", "/api/documents/99999999999999999999/", None, "json"),
    ("post", "/api/documents/", "not multipart", "json"),
    ("post", "/api/documents/1/reprocess/", None, "json"),
    ("get", "/api/search/", None, "json"),
    ("get", "/api/search/?q=%22%22%22((((&mode=weird", None, "json"),
    ("get", "/api/search/?q=cells&document=abc", None, "json"),
    ("get", "/api/search/?q=" + "x" * 5000, None, "json"),
    ("post", "/api/quizzes/", {"document_ids": "all", "num_questions": "many"}, "json"),
    ("post", "/api/quizzes/", {"document_ids": [1], "num_questions": 500, "question_types": ["essay"]}, "json"),
    ("post", "/api/quizzes/", [1, 2, 3], "json"),
    ("post", "/api/quizzes/1/attempts/", {"answers": "yes"}, "json"),
    ("get", "/api/notifications/?since=yesterday", None, "json"),
    ("get", "/api/notifications/?unread=maybe", None, "json"),
    ("post", "/api/notifications/abc/read/", None, "json"),
    ("get", "/api/tasks/%00/", None, "json"),
    ("get", "/api/notifications/?after=99999999999999999999999", None, "json"),
    ("post", "/api/notifications/99999999999999999999999/read/", None, "json"),
    ("get", "/api/search/?q=cells&document=99999999999999999999999", None, "json"),
    ("post", "/api/quizzes/", {"document_ids": [99999999999999999999999]}, "json"),
    ("post", "/api/quizzes/99999999999999999999999/attempts/", {"answers": []}, "json"),
    ("post", "/api/documents/99999999999999999999999/reindex/", None, "json"),
    ("get", "/api/documents/?content_type=%00", None, "json"),
    ("get", "/api/search/?q=cells%00", None, "json"),
    ("get", "/api/notifications/?event_type=a%00b", None, "json"),
    ("post", "/api/quizzes/", {"document_ids": [1], "title": "nul\u0000title"}, "json"),
    ("post", "/api/auth/token/", {"username": ["a", "b"]}, "json"),
]


@pytest.mark.parametrize(("method", "url", "body", "fmt"), CASES, ids=[f"{m} {u[:50]}" for m, u, _, _ in CASES])
def test_bad_request_is_a_clear_4xx(api: APIClient, method: str, url: str, body: Any, fmt: str) -> None:
    response = getattr(api, method)(url, body, format=fmt) if body is not None else getattr(api, method)(url)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code != 404 or url.startswith("/api/"):
        payload = response.json()
        assert payload.get("message"), payload


def test_malformed_json_body_is_400(api: APIClient) -> None:
    response = api.generic("POST", "/api/quizzes/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]
