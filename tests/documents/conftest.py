from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from studyai.celery import app as celery_app


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run inline at .delay() (fast unit tests; the live tests use a real worker)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture
def indexing_handover(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the hand-over to indexing instead of indexing (the indexing tests cover that)."""
    handed: list[int] = []
    monkeypatch.setattr("documents.tasks.trigger_indexing", lambda document: handed.append(document.pk))
    return handed


@pytest.fixture
def api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def other_api(other_user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_user).key}")
    return client
