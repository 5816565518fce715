"""Login throttling (studyai/throttling.py LoginGuard): failed logins per account and per address,
on the API's token endpoint and the admin's login page; 429 with Retry-After past the limit."""
from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(redis_client: Any) -> None:
    cache.clear()


def token(client: APIClient, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post("/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def test_thirty_wrong_passwords_get_429_with_retry_after(user: Any) -> None:
    client = APIClient()
    codes = [token(client, "alice", f"wrong-{i}").status_code for i in range(30)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    refused = token(client, "alice", "pw-alice-123")  # even the right password, while refused
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 300
    assert "Too many failed logins" in refused.json()["message"]


def test_the_limit_is_per_address_too_across_accounts(user: Any, settings: Any) -> None:
    settings.STUDYAI_LOGIN_LIMITS = {**settings.STUDYAI_LOGIN_LIMITS, "FAILURES_PER_ADDRESS": 5}
    client = APIClient()
    codes = [token(client, f"guess-{i}", "x", address="10.9.9.9").status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert token(client, "alice", "pw-alice-123", address="10.1.1.1").status_code == 200  # another address, another count


def test_a_successful_login_clears_the_accounts_count(user: Any) -> None:
    client = APIClient()
    for i in range(9):
        assert token(client, "alice", f"wrong-{i}").status_code == 401
    assert token(client, "alice", "pw-alice-123").status_code == 200
    assert all(token(client, "alice", f"again-{i}").status_code == 401 for i in range(9))


def test_the_admin_login_page_is_limited_too(admin_user: Any) -> None:
    client = Client(REMOTE_ADDR="10.0.0.7")
    codes = [client.post("/admin/login/", {"username": "admin", "password": "wrong"}).status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]  # 200: the form again, with its error
    assert int(client.post("/admin/login/", {"username": "admin", "password": "password"})["Retry-After"]) > 0
    assert client.get("/admin/login/").status_code == 200  # the page itself still shows
