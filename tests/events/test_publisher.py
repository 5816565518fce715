"""EventPublisher against real Redis: the stream, the pub/sub mirror, the user's group, the
outbox on commit and rollback, and the relay sweep."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from studyai.events.groups import user_group
from studyai.events.models import OutboxEvent
from studyai.events.publisher import EventPublisher
from studyai.events.transport import EventTransport
from studyai.events.types import Event, EventType, InvalidEvent

from ..conftest import db_thread
from .samples import VALID_DATA

pytestmark = pytest.mark.django_db(transaction=True)
STREAM = "study_ai_events"


class Subscriber:
    """A real Redis subscriber on study_ai_events:*, collecting in a thread."""

    def __init__(self, client: redis.Redis) -> None:
        self.pubsub = client.pubsub()
        self.pubsub.psubscribe(f"{STREAM}:*")
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._stop = threading.Event()
        while self.pubsub.get_message(timeout=1) is None:  # the psubscribe confirmation
            pass
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self.pubsub.get_message(timeout=0.1)
            if message and message["type"] == "pmessage":
                self.messages.append((message["channel"], json.loads(message["data"])))

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.pubsub.close()


@pytest.fixture
def subscriber(redis_client: redis.Redis) -> Any:
    sub = Subscriber(redis_client)
    yield sub
    sub.close()


def stream_events(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(fields["event"]) for _id, fields in client.xrange(STREAM)]


def test_published_event_reaches_stream_pubsub_and_user_group(redis_client: redis.Redis, subscriber: Subscriber) -> None:
    layer = get_channel_layer()

    async def member_of_the_users_group() -> tuple[Event, dict[str, Any]]:
        channel = await layer.new_channel()
        await layer.group_add(user_group(42), channel)
        event = await sync_to_async(EventPublisher().publish_document_uploaded)(
            user_id=42, document_id=456, filename="document.pdf", file_size=1024000, content_type="application/pdf"
        )
        message = await asyncio.wait_for(layer.receive(channel), 5)
        return event, message

    event, message = async_to_sync(member_of_the_users_group)()

    received = subscriber.wait_for(1)
    assert [(c, m["event_id"]) for c, m in received] == [(f"{STREAM}:document.uploaded", str(event.event_id))]
    assert stream_events(redis_client) == [event.to_dict()]
    assert message == {"type": "event.message", "event": event.to_dict()}
    assert OutboxEvent.objects.count() == 0  # relayed rows are removed


def test_every_seed_helper_publishes_a_valid_event(redis_client: redis.Redis) -> None:
    publisher = EventPublisher()
    d = VALID_DATA
    events = [
        publisher.publish_document_uploaded(1, **d[EventType.DOCUMENT_UPLOADED]),
        publisher.publish_document_processing(1, **d[EventType.DOCUMENT_PROCESSING]),
        publisher.publish_document_processed(1, **d[EventType.DOCUMENT_PROCESSED]),
        publisher.publish_document_failed(1, **d[EventType.DOCUMENT_FAILED]),
        publisher.publish_indexing_started(1, **d[EventType.INDEXING_STARTED]),
        publisher.publish_indexing_progress(1, **d[EventType.INDEXING_PROGRESS]),
        publisher.publish_indexing_completed(1, **d[EventType.INDEXING_COMPLETED]),
        publisher.publish_indexing_failed(1, **d[EventType.INDEXING_FAILED]),
        publisher.publish_quiz_generation_started(1, **d[EventType.QUIZ_GENERATION_STARTED]),
        publisher.publish_quiz_generation_progress(1, **d[EventType.QUIZ_GENERATION_PROGRESS]),
        publisher.publish_quiz_generated(1, **d[EventType.QUIZ_GENERATED]),
        publisher.publish_quiz_generation_failed(1, **d[EventType.QUIZ_GENERATION_FAILED]),
        publisher.publish_task_status_update(1, **d[EventType.TASK_STATUS_UPDATE]),
        publisher.publish_user_notification(1, **d[EventType.USER_NOTIFICATION]),
    ]
    assert {e.event_type for e in events} == set(EventType)
    assert [e["event_id"] for e in stream_events(redis_client)] == [str(e.event_id) for e in events]


def test_invalid_event_is_refused_at_publish(redis_client: redis.Redis) -> None:
    with pytest.raises(InvalidEvent) as info:
        EventPublisher().publish_document_uploaded(1, document_id=1, filename="", file_size=3, content_type="text/plain")
    assert info.value.field == "data.filename"
    assert OutboxEvent.objects.count() == 0
    assert stream_events(redis_client) == []


def test_event_inside_transaction_waits_for_commit(redis_client: redis.Redis, subscriber: Subscriber) -> None:
    publisher = EventPublisher()
    with transaction.atomic():
        publisher.publish_user_notification(1, "one", "first")
        publisher.publish_user_notification(1, "two", "second")
        time.sleep(0.2)
        assert stream_events(redis_client) == []  # nothing is visible before the commit
        assert subscriber.messages == []
    assert [e["data"]["title"] for e in stream_events(redis_client)] == ["one", "two"]
    assert len(subscriber.wait_for(2)) == 2


def test_event_in_rolled_back_transaction_is_seen_nowhere(redis_client: redis.Redis, subscriber: Subscriber) -> None:
    publisher = EventPublisher()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            publisher.publish_user_notification(1, "ghost", "never happened")
            raise RuntimeError("roll back")
    publisher.publish_user_notification(1, "real", "after the rollback")  # flushes the thread's list
    time.sleep(0.3)
    assert [e["data"]["title"] for e in stream_events(redis_client)] == ["real"]
    assert [m["data"]["title"] for _, m in subscriber.wait_for(1)] == ["real"]
    assert OutboxEvent.objects.count() == 0


def test_relay_cut_off_after_commit_is_relayed_once_by_the_sweep(redis_client: redis.Redis, subscriber: Subscriber) -> None:
    class Unreachable(EventTransport):
        def deliver(self, events: Any) -> None:
            raise ConnectionError("redis went away")  # the process "dies" before the relay

    crashed = EventPublisher(transport=Unreachable())
    event = crashed.publish_quiz_generated(5, quiz_id=3, question_count=10)
    assert OutboxEvent.objects.filter(event_id=event.event_id).exists()
    assert stream_events(redis_client) == []

    sweeper = EventPublisher()
    assert sweeper.relay_pending(grace=timedelta(seconds=60)) == 0  # too fresh: its publisher may still relay it
    assert sweeper.relay_pending(grace=timedelta(0)) == 1
    assert sweeper.relay_pending(grace=timedelta(0)) == 0
    assert [e["event_id"] for e in stream_events(redis_client)] == [str(event.event_id)]
    assert [m["event_id"] for _, m in subscriber.wait_for(1)] == [str(event.event_id)]
    assert OutboxEvent.objects.count() == 0


def test_two_sweeps_never_relay_the_same_row(redis_client: redis.Redis) -> None:
    class Unreachable(EventTransport):
        def deliver(self, events: Any) -> None:
            raise ConnectionError("down")

    crashed = EventPublisher(transport=Unreachable())
    ids = [str(crashed.publish_user_notification(1, f"n{i}", "x").event_id) for i in range(30)]
    results: list[int] = []
    sweeps = [db_thread(lambda: results.append(EventPublisher().relay_pending(grace=timedelta(0)))) for _ in range(3)]
    for t in sweeps:
        t.join()
    assert sum(results) == 30
    assert sorted(e["event_id"] for e in stream_events(redis_client)) == sorted(ids)


def test_publish_many_is_one_batch_in_order(redis_client: redis.Redis) -> None:
    events = [Event.create(EventType.USER_NOTIFICATION, 3, {"title": f"t{i}", "message": "m"}) for i in range(20)]
    EventPublisher().publish_many(events)
    assert [e["event_id"] for e in stream_events(redis_client)] == [str(e.event_id) for e in events]


def test_stream_retention_is_bounded(redis_client: redis.Redis, settings: Any) -> None:
    settings.STUDYAI_EVENTS = {**settings.STUDYAI_EVENTS, "STREAM_MAXLEN": 10}
    publisher = EventPublisher(transport=EventTransport())
    publisher.publish_many([Event.create(EventType.USER_NOTIFICATION, 3, {"title": f"t{i}", "message": "m"}) for i in range(500)])
    assert redis_client.xlen(STREAM) < 500  # approximate trimming keeps it near the bound


def test_event_with_another_types_data_is_refused(redis_client: redis.Redis) -> None:
    from studyai.events.types import QuizGenerated

    good = Event.create(EventType.DOCUMENT_PROCESSED, 1, VALID_DATA[EventType.DOCUMENT_PROCESSED])
    forged = good.model_copy(update={"data": QuizGenerated(quiz_id=1, question_count=2)})
    with pytest.raises(InvalidEvent) as info:
        EventPublisher().publish(forged)
    assert info.value.field == "data"
    assert OutboxEvent.objects.count() == 0
