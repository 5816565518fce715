"""Encrypted event fields end to end: daphne and the notification service run with
EVENT_ENCRYPTION_KEYS, Redis holds only ciphertext for filenames, titles and messages, and a
real WebSocket client still reads them in clear, live and from the durable feed."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from rest_framework.authtoken.models import Token

from studyai import processes
from studyai.events.publisher import EventPublisher

from ..conftest import LiveProcess, wait_for_notification
from .wsclient import FeedClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
KEYS = f"{NEW_KEY},{OLD_KEY}"  # rotated: the processes read both


@pytest.fixture(scope="module")
def encrypted_stack(start_process: Callable[..., LiveProcess]) -> Iterator[LiveProcess]:
    env = {"EVENT_ENCRYPTION_KEYS": KEYS}
    port = processes.free_port()
    daphne = start_process("daphne-encrypted", processes.daphne_command(port), env=env, port=port)
    processes.wait_for_port(port, daphne.proc)
    service = start_process("notification-service-encrypted", processes.manage("run_notification_service"), env=env)
    service.wait_for_log("consuming")
    yield daphne
    service.stop()
    daphne.stop()


def token(user: Any) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def test_websocket_client_reads_in_clear_what_redis_holds_encrypted(
    encrypted_stack: LiveProcess, redis_client: redis.Redis, user: Any, settings: Any
) -> None:
    client = FeedClient(encrypted_stack.port, token(user), query="after=0")
    client.wait_for("resumed")
    publisher = EventPublisher()
    settings.EVENT_ENCRYPTION_KEYS = OLD_KEY  # written before the rotation: still readable
    publisher.publish_document_failed(user.pk, 4, "corrupt", "SECRET-draft.pdf has no pages")
    settings.EVENT_ENCRYPTION_KEYS = KEYS
    publisher.publish_document_uploaded(user.pk, 4, "SECRET-thesis.pdf", 1024, "application/pdf")
    publisher.publish_task_status_update(user.pk, "doc_process_4_1", "document_processing", "processing", 40, "Reading SECRET-thesis.pdf")
    publisher.publish_user_notification(user.pk, "SECRET-title", "SECRET-message")

    live = client.collect("event", 4, timeout=30)
    assert [f["event"]["event_type"] for f in live] == [
        "document.failed", "document.uploaded", "task.status.update", "user.notification",
    ]
    assert live[0]["event"]["data"]["reason"] == "SECRET-draft.pdf has no pages"
    assert live[1]["event"]["data"]["filename"] == "SECRET-thesis.pdf"
    assert live[2]["event"]["data"]["message"] == "Reading SECRET-thesis.pdf"
    assert live[3]["event"]["data"] == {"title": "SECRET-title", "message": "SECRET-message", "level": "info"}
    assert all("encrypted" not in f["event"] for f in live)

    # The durable feed, stored by the notification service from the encrypted stream.
    def notifications() -> list[dict[str, Any]]:
        return [f for f in client.frames if f["type"] == "notification"]

    client.collect("notification", 2 - len(notifications()), timeout=30)
    notes = notifications()
    assert [(n["notification"]["event_type"], n["notification"]["message"]) for n in notes] == [
        ("document.failed", "Document 4 could not be processed: SECRET-draft.pdf has no pages"),
        ("user.notification", "SECRET-message"),
    ]
    assert notes[1]["notification"]["title"] == "SECRET-title"
    client.close()

    entries = [fields for _id, fields in redis_client.xrange("study_ai_events")]
    assert len(entries) == 4 and all("encrypted" in json.loads(f["event"]) for f in entries)
    assert "SECRET-" not in json.dumps(entries), "Redis holds no sensitive field in clear"
    assert redis_client.xlen("study_ai_events.dead_letters") == 0
    wait_for_notification(user, "user.notification")
