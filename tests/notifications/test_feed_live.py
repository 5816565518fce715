"""The WebSocket feed for real: daphne, the notification service and Redis, each its own
process, and a real WebSocket client."""
from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from django.test import Client
from rest_framework.authtoken.models import Token
from websockets.exceptions import InvalidStatus

from notifications.models import Notification
from studyai.events.publisher import EventPublisher

from ..conftest import LiveProcess, db_thread
from .wsclient import FeedClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def stack(redis_client: redis.Redis, daphne_proc: LiveProcess, notification_service: LiveProcess) -> LiveProcess:
    return daphne_proc


def token(user: Any) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def notify(user: Any, count: int, prefix: str = "n") -> list[str]:
    publisher = EventPublisher()
    titles = [f"{prefix}{i}" for i in range(count)]
    for title in titles:
        publisher.publish_user_notification(user.pk, title, f"message {title}")
    return titles


def wait_for_rows(user: Any, count: int, timeout: float = 30.0) -> list[Notification]:
    deadline = time.monotonic() + timeout
    while (n := Notification.objects.filter(user=user).count()) < count:
        assert time.monotonic() < deadline, f"only {n} of {count} notifications stored"
        time.sleep(0.05)
    return list(Notification.objects.filter(user=user).order_by("id"))


def test_user_gets_own_notifications_and_none_of_anothers(stack: LiveProcess, user: Any, other_user: Any) -> None:
    alice = FeedClient(stack.port, token(user))
    bob = FeedClient(stack.port, token(other_user))
    assert alice.wait_for("unread_count")["count"] == 0
    bob.wait_for("unread_count")
    bobs = notify(other_user, 100, prefix="bob-")
    alices = notify(user, 3, prefix="alice-")
    got = alice.collect("notification", 3, timeout=30)
    assert [f["notification"]["title"] for f in got] == alices
    bob_got = bob.collect("notification", 100, timeout=30)
    assert [f["notification"]["title"] for f in bob_got] == bobs

    # Nothing Alice sends gets her into Bob's group or shows her Bob's rows.
    bob_row = Notification.objects.filter(user=other_user).first()
    assert bob_row is not None
    alice.send({"type": "resume", "after": 0, "user_id": other_user.pk})
    alice.send({"type": "subscribe", "group": f"user.{other_user.pk}"})
    alice.send({"type": "mark_read", "id": bob_row.pk})
    rest = alice.drain(quiet=1.0)
    everything = alice.frames
    assert not any("bob-" in str(frame) for frame in everything)
    assert all(f["event"]["user_id"] == user.pk for f in everything if f["type"] == "event")
    errors = [f["error"] for f in rest if f["type"] == "error"]
    assert errors == ["unknown_type", "not_found"]
    bob_row.refresh_from_db()
    assert bob_row.read is False
    alice.close()
    bob.close()


def test_resume_after_a_drop_replays_exactly_what_was_missed(stack: LiveProcess, user: Any) -> None:
    client = FeedClient(stack.port, token(user))
    notify(user, 5, prefix="before-")
    seen = client.collect("notification", 5, timeout=30)
    last_seen = seen[-1]["notification"]["id"]
    client.close()  # the socket drops

    missed = notify(user, 50, prefix="missed-")
    wait_for_rows(user, 55)
    during: list[str] = []
    client = FeedClient(stack.port, token(user), query=f"after={last_seen}")
    publisher = db_thread(lambda: during.extend(notify(user, 10, prefix="during-")))
    got = client.collect("notification", 60, timeout=30)
    publisher.join()
    got += [f for f in client.drain(quiet=1.0) if f["type"] == "notification"]
    ids = [f["notification"]["id"] for f in got]
    assert len(ids) == 60 and len(set(ids)) == 60, "exactly 60, none twice"
    assert ids == sorted(ids), "in order"
    assert [f["notification"]["title"] for f in got[:50]] == missed
    assert {f["notification"]["title"] for f in got[50:]} == set(during)
    assert ids == list(Notification.objects.filter(user=user, id__gt=last_seen).order_by("id").values_list("id", flat=True))

    # The same with a resume frame on an open socket: nothing more to send, nothing sent twice.
    client.send({"type": "resume", "after": last_seen})
    again = client.collect("notification", 60, timeout=10)
    assert [f["notification"]["id"] for f in again] == ids
    client.close()


def test_live_events_and_unread_count_are_pushed(stack: LiveProcess, user: Any) -> None:
    client = FeedClient(stack.port, token(user))
    assert client.wait_for("unread_count")["count"] == 0
    EventPublisher().publish_task_status_update(user.pk, "t-1", "demo", "processing", 40, "working")
    event = client.wait_for("event")["event"]
    assert event["event_type"] == "task.status.update" and event["data"]["progress"] == 40
    notify(user, 1)
    note = client.wait_for("notification")["notification"]
    assert client.wait_for("unread_count")["count"] == 1
    client.send({"type": "mark_read", "id": note["id"]})
    assert client.wait_for("unread_count")["count"] == 0
    api = Client(HTTP_AUTHORIZATION=f"Token {token(user)}")
    notify(user, 2)
    client.collect("notification", 2)
    assert api.post("/api/notifications/read-all/").json() == {"marked": 2}
    counts = [f["count"] for f in client.drain(quiet=1.0) if f["type"] == "unread_count"]
    assert counts and counts[-1] == 0
    client.close()


MALFORMED: list[tuple[Any, str]] = [
    ("{not json", "invalid_json"),
    ("[1, 2, 3]", "invalid_frame"),
    ({"type": 5}, "invalid_field"),
    ({"no_type": True}, "invalid_field"),
    ({"type": "explode"}, "unknown_type"),
    ({"type": "resume"}, "invalid_field"),
    ({"type": "resume", "after": "ten"}, "invalid_field"),
    ({"type": "resume", "after": -1}, "invalid_field"),
    ({"type": "resume", "after": True}, "invalid_field"),
    ({"type": "resume", "after": 10**30}, "invalid_field"),
    ({"type": "mark_read", "id": 10**30}, "invalid_field"),
    ({"type": "mark_read"}, "invalid_field"),
    ({"type": "mark_read", "id": 10**12}, "not_found"),
    (b"\x00\x01binary", "binary_frame"),
    ("x" * 5000, "frame_too_large"),
    ("", "invalid_json"),
]


def test_malformed_frames_get_an_error_and_the_socket_stays_open(stack: LiveProcess, user: Any, other_user: Any) -> None:
    client = FeedClient(stack.port, token(user))
    bystander = FeedClient(stack.port, token(other_user))
    client.wait_for("unread_count")
    bystander.wait_for("unread_count")
    for frame, code in MALFORMED:
        client.send(frame)
        error = client.wait_for("error")
        assert error["error"] == code, (frame, error)
        assert error["message"]
    assert client.is_open()
    notify(other_user, 1, prefix="still-fine-")
    assert bystander.wait_for("notification")["notification"]["title"] == "still-fine-0"
    assert not [f for f in bystander.frames if f["type"] == "error"]
    client.close()
    bystander.close()


def _refused(port: int, **kwargs: Any) -> int:
    with pytest.raises(InvalidStatus) as info:
        FeedClient(port, **kwargs)
    return info.value.response.status_code


def test_bad_handshakes_are_refused_before_accept(stack: LiveProcess, user: Any) -> None:
    port = stack.port
    assert port is not None
    assert _refused(port) == 403  # anonymous
    assert _refused(port, token="0" * 40) == 403  # unknown token
    assert _refused(port, query="token=nonsense") == 403
    assert _refused(port, token=token(user), origin="http://evil.example") == 403  # foreign origin
    browser = Client()
    assert browser.login(username="alice", password="pw-alice-123")
    cookie = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    assert _refused(port, additional_headers=cookie) == 403  # a cookie without an Origin
    assert _refused(port, additional_headers=cookie, origin="http://evil.example") == 403
    # The accepted ways: the session cookie from our own origin, the token subprotocol, ?token=.
    for client in (
        FeedClient(port, additional_headers=cookie, origin=f"http://127.0.0.1:{port}"),
        FeedClient(port, token=token(user)),
        FeedClient(port, query=f"token={token(user)}"),
    ):
        assert client.wait_for("unread_count")["count"] == 0
        client.close()
