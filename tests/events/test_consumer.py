"""EventConsumer against real Redis: handlers by group, retries, dead letters and their replay,
a shared group, invalid events, and a Redis restart."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.core.management import call_command

from studyai import processes
from studyai.events.consumer import EventConsumer
from studyai.events.publisher import EventPublisher
from studyai.events.transport import EventTransport
from studyai.events.types import Event, EventType

from .samples import VALID_DATA

pytestmark = pytest.mark.django_db(transaction=True)


def publish(event_type: EventType, user_id: int = 1, **overrides: Any) -> Event:
    return EventPublisher().publish(Event.create(event_type, user_id, {**VALID_DATA[event_type], **overrides}))


def consume_until(consumer: EventConsumer, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for the consumer"
        consumer.run_once()


def new_consumer(group: str = "test", **options: Any) -> EventConsumer:
    options = {"block_ms": 50, "retry_base_ms": 20, "max_deliveries": 3, **options}
    return EventConsumer(group=group, transport=EventTransport(), **options)


def test_subscriptions_route_by_group(redis_client: redis.Redis) -> None:
    consumer = new_consumer()
    seen: dict[str, list[str]] = {"document": [], "indexing": [], "quiz": [], "all": []}
    consumer.subscribe_to_document_events(lambda e: seen["document"].append(e.event_type.value))
    consumer.subscribe_to_indexing_events(lambda e: seen["indexing"].append(e.event_type.value))
    consumer.subscribe_to_quiz_events(lambda e: seen["quiz"].append(e.event_type.value))
    consumer.subscribe_to_all_events(lambda e: seen["all"].append(e.event_type.value))
    for event_type in EventType:
        publish(event_type)
    consume_until(consumer, lambda: len(seen["all"]) == len(EventType))
    assert seen["document"] == [t.value for t in EventType if t.value.startswith("document.")]
    assert seen["indexing"] == [t.value for t in EventType if t.value.startswith("indexing.")]
    assert seen["quiz"] == [t.value for t in EventType if t.value.startswith("quiz.")]
    assert seen["all"] == [t.value for t in EventType]
    assert consumer.transport.pending(consumer.group, 0, 100) == []  # every one acked


def test_failing_handler_is_retried_then_dead_lettered_with_its_error(redis_client: redis.Redis) -> None:
    consumer = new_consumer(max_deliveries=3)
    calls: list[str] = []

    def broken(event: Event) -> None:
        calls.append(str(event.event_id))
        raise ValueError("handler is broken")

    consumer.subscribe_to_all_events(broken)
    event = publish(EventType.QUIZ_GENERATED)
    consume_until(consumer, lambda: consumer.health.dead_lettered == 1)
    assert calls == [str(event.event_id)] * 3
    [letter] = consumer.transport.dead_letters()
    assert letter.fields["group"] == "test"
    assert "ValueError: handler is broken" in letter.fields["error"]
    assert json.loads(letter.payload)["event_id"] == str(event.event_id)
    assert consumer.transport.pending("test", 0, 10) == []

    # `dead_letters replay` delivers it again, to this group only; once fixed, it is handled.
    handled: list[str] = []
    fixed = new_consumer()
    fixed.subscribe_to_all_events(lambda e: handled.append(str(e.event_id)))
    other_group = new_consumer(group="other", start_from="$")
    other_group.run_once()  # the other group exists from here on
    other_seen: list[Event] = []
    other_group.subscribe_to_all_events(other_seen.append)
    call_command("dead_letters", "replay")
    consume_until(fixed, lambda: handled == [str(event.event_id)])
    other_group.run_once()
    assert other_seen == []
    assert fixed.transport.dead_letters() == []


def test_handler_that_recovers_is_acked_once(redis_client: redis.Redis) -> None:
    consumer = new_consumer(max_deliveries=5)
    attempts: list[int] = []

    def flaky(event: Event) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("transient")

    consumer.subscribe_to_all_events(flaky)
    publish(EventType.DOCUMENT_PROCESSED)
    consume_until(consumer, lambda: consumer.health.handled == 1)
    for _ in range(5):
        consumer.run_once()
    assert len(attempts) == 3
    assert consumer.transport.dead_letters() == []


def test_invalid_and_unknown_version_events_are_dead_lettered(redis_client: redis.Redis) -> None:
    consumer = new_consumer()
    handled: list[Event] = []
    consumer.subscribe_to_all_events(handled.append)
    stream = consumer.transport.stream
    good = Event.create(EventType.QUIZ_GENERATED, 1, VALID_DATA[EventType.QUIZ_GENERATED]).to_dict()
    redis_client.xadd(stream, {"event": "{not json"})
    redis_client.xadd(stream, {"event": json.dumps({**good, "version": 2})})
    redis_client.xadd(stream, {"event": json.dumps({**good, "data": {"quiz_id": "three"}})})
    consume_until(consumer, lambda: consumer.health.dead_lettered == 3)
    errors = [letter.fields["error"] for letter in consumer.transport.dead_letters()]
    assert "envelope" in errors[0]
    assert "version 2" in errors[1]
    assert "data.quiz_id" in errors[2]
    assert handled == []


def test_two_consumers_in_one_group_split_the_events(redis_client: redis.Redis) -> None:
    handled: dict[str, list[str]] = {"a": [], "b": []}
    consumers = []
    for name in ("a", "b"):
        consumer = new_consumer(group="shared", consumer_name=name, batch_size=5, block_ms=100)
        consumer.subscribe_to_all_events(lambda e, name=name: (handled[name].append(str(e.event_id)), time.sleep(0.002)))
        consumers.append(consumer)
        consumer.run_once()  # create the group before publishing
    ids = [str(publish(EventType.USER_NOTIFICATION, title=f"n{i}").event_id) for i in range(200)]
    threads = [c.start_in_background() for c in consumers]
    deadline = time.monotonic() + 20
    while len(handled["a"]) + len(handled["b"]) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    for consumer in consumers:
        consumer.stop()
    assert all(not t.is_alive() for t in threads)
    assert sorted(handled["a"] + handled["b"]) == sorted(ids)  # all of them, none twice
    assert handled["a"] and handled["b"]  # both did some of the work


def test_consumer_survives_a_redis_restart(tmp_path: Any) -> None:
    port = processes.free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = processes.start_embedded_redis(port, tmp_path / "r1", persistent=False)
    try:
        transport = EventTransport(redis_url=url)
        consumer = EventConsumer(group="restart", transport=transport, block_ms=100, retry_base_ms=50)
        handled: list[str] = []
        consumer.subscribe_to_all_events(lambda e: handled.append(e.to_dict()["data"]["title"]))
        consumer.start_in_background()
        client = redis.Redis.from_url(url)

        def add(title: str) -> None:
            event = Event.create(EventType.USER_NOTIFICATION, 1, {"title": title, "message": "m"})
            client.xadd(transport.stream, {"event": event.to_json()})

        deadline = time.monotonic() + 5
        while not consumer.health.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        add("before")
        while handled != ["before"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handled == ["before"]

        processes.stop(server)  # Redis goes away and comes back empty (no persistence)
        time.sleep(0.5)
        assert not consumer.health.connected
        server = processes.start_embedded_redis(port, tmp_path / "r2", persistent=False)
        deadline = time.monotonic() + 30
        while not consumer.health.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        add("after")
        while handled != ["before", "after"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handled == ["before", "after"]
        assert consumer.health.reconnects >= 1 and consumer.health.groups_recreated + consumer.health.reconnects >= 1
        consumer.stop()
    finally:
        processes.stop(server)


def test_an_entry_another_consumer_is_still_working_on_is_not_taken_over_early(redis_client: redis.Redis) -> None:
    busy = new_consumer("shared-claim", consumer_name="busy", claim_idle_ms=600)
    busy.run_once()  # creates the group
    publish(EventType.USER_NOTIFICATION)
    assert len(busy.transport.read_group("shared-claim", "busy", 10, 50)) == 1  # read, still being handled
    handled: list[str] = []
    other = new_consumer("shared-claim", consumer_name="other", claim_idle_ms=600)
    other.subscribe_to_all_events(lambda e: handled.append(str(e.event_id)))
    time.sleep(0.1)  # idle well past the retry base (20 ms), short of the claim time
    other.run_once()
    assert handled == []  # the busy consumer may still ack it: taking it now would handle it twice
    time.sleep(0.6)  # busy is gone for good: past the claim time, the other takes it over
    consume_until(other, lambda: len(handled) == 1)
