"""The feed survives a crashed notification service and a Redis restart (real processes)."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from rest_framework.authtoken.models import Token

from notifications.models import Notification
from studyai import processes
from studyai.events.publisher import EventPublisher
from studyai.events.transport import EventTransport
from studyai.events.types import Event, EventType

from ..conftest import LiveProcess, db_thread, wait_until
from .wsclient import FeedClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def rows_for(user: Any) -> int:
    return Notification.objects.filter(user=user).count()


def test_service_killed_mid_burst_loses_and_duplicates_nothing(
    redis_client: redis.Redis, daphne_proc: LiveProcess, start_process: Callable[..., LiveProcess], user: Any
) -> None:
    service = start_process("notification-service-a", processes.manage("run_notification_service"))
    service.wait_for_log("consuming")
    client = FeedClient(daphne_proc.port, Token.objects.create(user=user).key)  # type: ignore[arg-type]
    client.wait_for("unread_count")

    titles = [f"burst-{i}" for i in range(500)]
    events = [Event.create(EventType.USER_NOTIFICATION, user.pk, {"title": t, "message": "x"}) for t in titles]
    publisher = EventPublisher()
    burst = db_thread(lambda: [publisher.publish_many(events[i : i + 25]) for i in range(0, 500, 25)])
    wait_until(lambda: rows_for(user) >= 40, 30, "the service to start storing")
    service.kill()  # SIGKILL: no ack, no cleanup
    stored_at_kill = rows_for(user)
    burst.join()
    assert stored_at_kill < 500, "the kill should land mid-burst"

    restarted = start_process("notification-service-b", processes.manage("run_notification_service"))
    restarted.wait_for_log("consuming")
    wait_until(lambda: rows_for(user) >= 500, 60, "all 500 notifications stored")
    time.sleep(1.0)  # anything handled twice would show up now
    stored = list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))
    assert sorted(stored) == sorted(titles), "every notification exactly once"

    got = client.collect("notification", 500, timeout=60)
    got += [f for f in client.drain(quiet=1.0) if f["type"] == "notification"]
    ids = [f["notification"]["id"] for f in got]
    assert len(ids) == 500 and ids == sorted(set(ids)), "the client got each one once, in order"
    client.close()
    restarted.stop()


def test_redis_restart_mid_stream_recovers_by_itself(
    start_process: Callable[..., LiveProcess], user: Any, tmp_path: Path
) -> None:
    port = processes.free_port()
    url = f"redis://127.0.0.1:{port}/0"
    # This Redis keeps an append-only file, as production Redis should: a restart keeps the stream.
    server = processes.start_embedded_redis(port, tmp_path / "redis", persistent=True)
    try:
        env = {"REDIS_URL": url, "EVENT_OUTBOX_GRACE_SECONDS": "1"}
        http_port = processes.free_port()
        daphne = start_process("daphne-restart", processes.daphne_command(http_port), env=env, port=http_port)
        service = start_process("service-restart", processes.manage("run_notification_service"), env=env)
        relay = start_process("relay-restart", processes.manage("relay_outbox", "--interval", "0.5"), env=env)
        processes.wait_for_port(http_port, daphne.proc)
        service.wait_for_log("consuming")

        client = FeedClient(http_port, Token.objects.create(user=user).key)
        client.wait_for("unread_count")
        publisher = EventPublisher(transport=EventTransport(redis_url=url))
        titles = [f"s-{i}" for i in range(60)]

        def stream_events() -> None:
            for title in titles:
                publisher.publish_user_notification(user.pk, title, "x")
                time.sleep(0.05)

        producer = db_thread(stream_events)
        wait_until(lambda: rows_for(user) >= 15, 30, "events flowing before the restart")
        processes.stop(server)  # Redis goes away mid-stream…
        time.sleep(1.5)
        server = processes.start_embedded_redis(port, tmp_path / "redis", persistent=True)  # …and comes back
        restarted_at = time.monotonic()
        producer.join()

        # Every process recovers on its own: the service stores the rest, the relay sweeps what
        # could not be relayed while Redis was down.
        wait_until(
            lambda: rows_for(user) >= 60, 30,
            lambda: f"{rows_for(user)} of 60 stored after the restart\n{service.log()[-3000:]}\n{relay.log()[-2000:]}",
        )
        assert sorted(Notification.objects.filter(user=user).values_list("title", flat=True)) == sorted(titles)
        # daphne's channel layer is live again: a fresh event reaches the open socket.
        deadline = restarted_at + 30
        live = False
        while not live and time.monotonic() < deadline:
            publisher.publish_user_notification(user.pk, "after-restart", "x")
            try:
                frames = client.drain(quiet=1.0)
            except Exception:
                break
            live = any(f["type"] == "event" and f["event"]["data"].get("title") == "after-restart" for f in frames)
        assert live, "daphne did not deliver live events within 30 s of the restart"

        # After a resume the client has everything, once each, in order.
        client.send({"type": "resume", "after": 0})
        client.wait_for("resumed", timeout=10)
        frames = client.frames
        replayed_from = max(i for i, f in enumerate(frames) if f["type"] == "resumed")
        replay = [f for f in frames[:replayed_from] if f["type"] == "notification"]
        replay_ids = [f["notification"]["id"] for f in replay[-rows_for(user):]]
        expected = list(Notification.objects.filter(user=user).order_by("id").values_list("id", flat=True))
        assert replay_ids == expected
        # The service says in its health that it lost Redis and is connected again.
        health = redis.Redis.from_url(url, decode_responses=True)

        def reports_reconnected() -> bool:
            beats = [health.hgetall(key) for key in health.scan_iter("study_ai_events.health:*")]
            return any(b.get("connected") == "True" and int(b.get("reconnects", "0")) >= 1 for b in beats)

        wait_until(reports_reconnected, 10, "a heartbeat saying the service reconnected")
        health.close()
        client.close()
        for proc in (daphne, service, relay):
            proc.stop()
    finally:
        processes.stop(server)


def test_two_services_side_by_side_share_the_work(
    redis_client: redis.Redis, start_process: Callable[..., LiveProcess], user: Any
) -> None:
    services = [start_process(f"service-{name}", processes.manage("run_notification_service", "--name", name)) for name in ("left", "right")]
    for service in services:
        service.wait_for_log("consuming")
    titles = [f"shared-{i}" for i in range(300)]
    publisher = EventPublisher()
    for start in range(0, 300, 20):  # bursts, so both instances find work waiting
        publisher.publish_many([Event.create(EventType.USER_NOTIFICATION, user.pk, {"title": t, "message": "x"}) for t in titles[start : start + 20]])
    wait_until(lambda: rows_for(user) >= 300, 60, lambda: f"{rows_for(user)} of 300 stored")
    time.sleep(1.0)
    assert sorted(Notification.objects.filter(user=user).values_list("title", flat=True)) == sorted(titles)
    time.sleep(5.5)  # a heartbeat is written at most every 5 s
    beats = {key.rsplit(":", 1)[-1]: value for key in redis_client.scan_iter("study_ai_events.health:notification-service:*") if (value := redis_client.hgetall(key))}
    handled = {name: int(beats[name]["handled"]) for name in ("left", "right")}
    assert sum(handled.values()) == 300, handled  # every event handled once, by one of them
    assert all(handled.values()), handled  # and both took a share
    for service in services:
        service.stop()
