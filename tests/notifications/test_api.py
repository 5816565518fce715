"""The notifications REST API and the token endpoint."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from notifications.models import Notification

pytestmark = pytest.mark.django_db


def make(user: Any, n: int, **fields: Any) -> list[Notification]:
    return [
        Notification.objects.create(user=user, event_id=uuid.uuid4(), event_type="user.notification", title=f"t{i}", message="m", **fields)
        for i in range(n)
    ]


def test_token_endpoint(user: Any) -> None:
    client = APIClient()
    ok = client.post("/api/auth/token/", {"username": "alice", "password": "pw-alice-123"}, format="json")
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40
    bad = client.post("/api/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert bad.status_code == 401 and "username and password" in bad.json()["message"]
    missing = client.post("/api/auth/token/", {"username": "alice"}, format="json")
    assert missing.status_code == 400 and missing.json()["message"].startswith("password:")


def test_anonymous_is_401_with_a_message() -> None:
    response = APIClient().get("/api/notifications/")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert "credentials" in response.json()["message"].lower()


def test_list_is_paginated_oldest_first_and_only_mine(api: APIClient, user: Any, other_user: Any) -> None:
    mine = make(user, 25)
    make(other_user, 5)
    page1 = api.get("/api/notifications/").json()
    assert page1["count"] == 25 and len(page1["results"]) == 20 and page1["next"]
    page2 = api.get(page1["next"]).json()
    ids = [n["id"] for n in page1["results"] + page2["results"]]
    assert ids == [n.pk for n in mine]
    assert set(page1["results"][0]) == {"id", "event_type", "title", "message", "data", "created_at", "read"}


def test_filters_unread_after_since(api: APIClient, user: Any) -> None:
    old = make(user, 3, read=True)
    new = make(user, 2)
    assert [n["id"] for n in api.get("/api/notifications/?unread=true").json()["results"]] == [n.pk for n in new]
    assert [n["id"] for n in api.get("/api/notifications/?unread=false").json()["results"]] == [n.pk for n in old]
    assert [n["id"] for n in api.get(f"/api/notifications/?after={old[-1].pk}").json()["results"]] == [n.pk for n in new]
    since = new[0].created_at.isoformat().replace("+00:00", "Z")
    assert new[0].pk in [n["id"] for n in api.get("/api/notifications/", {"since": since}).json()["results"]]
    bad = api.get("/api/notifications/?after=abc")
    assert bad.status_code == 400 and bad.json()["message"].startswith("after:")


def test_read_read_all_and_unread_count(api: APIClient, user: Any, other_user: Any) -> None:
    a, b, c = make(user, 3)
    theirs = make(other_user, 1)[0]
    assert api.get("/api/notifications/unread-count/").json() == {"count": 3}
    response = api.post(f"/api/notifications/{a.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert api.get("/api/notifications/unread-count/").json() == {"count": 2}
    assert api.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert api.get(f"/api/notifications/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read is False
    assert api.post("/api/notifications/read-all/").json() == {"marked": 2}
    assert api.get("/api/notifications/unread-count/").json() == {"count": 0}
    assert Notification.objects.get(pk=b.pk).read_at is not None


def test_schema_and_docs_pages_are_served(api: APIClient) -> None:
    schema = APIClient().get("/api/schema/")
    assert schema.status_code == 200 and b"/api/notifications/" in schema.content
    docs = APIClient().get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn." not in docs.content  # the page's assets are served locally (offline)
