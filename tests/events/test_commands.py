"""The event system's manage.py commands and EventDrivenTask, against real Redis."""
from __future__ import annotations

import io
import json
import subprocess
import time
from typing import Any

import pytest
import redis
from django.core.management import CommandError, call_command
from django.db import transaction

from studyai import processes
from studyai.events.publisher import EventPublisher
from studyai.events.tasks import EventDrivenTask

pytestmark = pytest.mark.django_db(transaction=True)


def stream(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(f["event"]) for _id, f in client.xrange("study_ai_events")]


def test_publish_event_command(redis_client: redis.Redis) -> None:
    out = io.StringIO()
    call_command("publish_event", "user.notification", "--user", "3", "--data", '{"title": "Hi", "message": "there"}', stdout=out)
    printed = json.loads(out.getvalue())
    assert [e["event_id"] for e in stream(redis_client)] == [printed["event_id"]]
    with pytest.raises(CommandError, match="data.title"):
        call_command("publish_event", "user.notification", "--user", "3", "--data", '{"message": "no title"}')
    with pytest.raises(CommandError, match="not JSON"):
        call_command("publish_event", "user.notification", "--user", "3", "--data", "{oops")


def test_monitor_events_prints_events_filtered(redis_client: redis.Redis, live_env: dict[str, str]) -> None:
    monitor = subprocess.Popen(
        processes.manage("monitor_events", "--type", "quiz.generated", "--user", "5"),
        env={**__import__("os").environ, **live_env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert monitor.stdout is not None
        next(line for line in monitor.stdout if "monitoring" in line)  # it reads from here on
        publisher = EventPublisher()
        publisher.publish_quiz_generated(5, quiz_id=1, question_count=3)
        publisher.publish_quiz_generated(6, quiz_id=2, question_count=3)  # another user: filtered out
        publisher.publish_user_notification(5, "t", "m")  # another type: filtered out
        publisher.publish_quiz_generated(5, quiz_id=3, question_count=4)
        time.sleep(2)
    finally:
        monitor.terminate()
        output, _ = monitor.communicate(timeout=15)
    printed = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [(e["user_id"], e["data"]["quiz_id"]) for e in printed] == [(5, 1), (5, 3)]
    assert not any(g.startswith("monitor") for g in _groups(redis_client)), "the monitor only reads: no group of its own"


def _groups(client: redis.Redis) -> list[str]:
    try:
        return [g["name"] for g in client.xinfo_groups("study_ai_events")]
    except redis.ResponseError:
        return []


def test_dead_letters_command_lists_and_purges(redis_client: redis.Redis) -> None:
    from studyai.events.consumer import EventConsumer
    from studyai.events.transport import EventTransport

    consumer = EventConsumer(group="cmd", transport=EventTransport(), block_ms=20, retry_base_ms=10, max_deliveries=1)
    consumer.subscribe_to_all_events(lambda e: (_ for _ in ()).throw(KeyError("boom")))
    EventPublisher().publish_user_notification(1, "t", "m")
    deadline = time.monotonic() + 10
    while consumer.health.dead_lettered < 1 and time.monotonic() < deadline:
        consumer.run_once()
    out = io.StringIO()
    call_command("dead_letters", "list", stdout=out)
    assert "group=cmd" in out.getvalue() and "KeyError" in out.getvalue() and "1 dead letter(s)" in out.getvalue()
    with pytest.raises(CommandError, match="no dead letter"):
        call_command("dead_letters", "replay", "999-0")
    call_command("dead_letters", "purge", stdout=io.StringIO())
    out = io.StringIO()
    call_command("dead_letters", "list", stdout=out)
    assert "0 dead letter(s)" in out.getvalue()


def test_event_driven_task_coalesces_close_progress_updates(redis_client: redis.Redis) -> None:
    handler = EventDrivenTask(progress_min_interval_ms=10_000)
    handler.publish_task_started("t1", 1, "demo")
    assert handler.publish_task_progress("t1", 1, "demo", 10) is not None
    assert handler.publish_task_progress("t1", 1, "demo", 20) is None  # superseded, skipped
    assert handler.publish_task_progress("t1", 1, "demo", 100) is not None  # the last one always goes
    handler.publish_task_completed("t1", 1, "demo", "done")
    statuses = [(e["data"]["status"], e["data"]["progress"]) for e in stream(redis_client)]
    assert statuses == [("started", 0), ("processing", 10), ("processing", 100), ("completed", 100)]


def test_relay_outbox_once(redis_client: redis.Redis) -> None:
    from studyai.events.models import OutboxEvent

    class Down(EventPublisher):
        def _relay_unrelayed(self) -> None:  # the process died right after its commit
            self._local.pending = []

    with transaction.atomic():
        Down().publish_user_notification(1, "left behind", "m")
    assert OutboxEvent.objects.count() == 1
    out = io.StringIO()
    call_command("relay_outbox", "--once", "--grace", "0", stdout=out)
    assert "relayed 1 event(s)" in out.getvalue()
    assert [e["data"]["title"] for e in stream(redis_client)] == ["left behind"]
