"""A real Celery worker (started by the test session) runs an EventDrivenTask on document_queue;
its events arrive in order on the stream and on the pub/sub mirror."""
from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis

from studyai.events.tasks import pipeline_check

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def task_updates(client: redis.Redis, task_id: str, until_status: set[str], timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events = [json.loads(f["event"]) for _id, f in client.xrange("study_ai_events")]
        mine = [e for e in events if e["event_type"] == "task.status.update" and e["data"]["task_id"] == task_id]
        if mine and mine[-1]["data"]["status"] in until_status:
            return mine
        assert time.monotonic() < deadline, f"no terminal update for {task_id}: {mine}"
        time.sleep(0.05)


def test_worker_runs_event_driven_task_with_events_in_order(redis_client: redis.Redis, celery_worker_proc: Any) -> None:
    pubsub = redis_client.pubsub()
    pubsub.psubscribe("study_ai_events:*")
    result = pipeline_check.delay(user_id=7, steps=3)
    task_id = f"pipeline_check_{result.id}"
    assert result.get(timeout=30) == task_id
    updates = task_updates(redis_client, task_id, {"completed"})
    assert [(u["data"]["status"], u["data"]["progress"]) for u in updates] == [
        ("started", 0), ("processing", 25), ("processing", 50), ("processing", 75), ("completed", 100),
    ]
    # Sent without a correlation id (not through dispatch): the worker gave the task a new one.
    assert all(u["user_id"] == 7 for u in updates)
    assert len({u["correlation_id"] for u in updates}) == 1 and updates[0]["correlation_id"].startswith("req-")
    mirrored = []
    deadline = time.monotonic() + 5
    while len(mirrored) < 5 and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message and message["type"] == "pmessage":
            mirrored.append(json.loads(message["data"])["data"]["status"])
    assert mirrored == ["started", "processing", "processing", "processing", "completed"]
    pubsub.close()


def test_task_that_raises_publishes_failed(redis_client: redis.Redis, celery_worker_proc: Any) -> None:
    result = pipeline_check.delay(user_id=7, steps=1, fail=True)
    with pytest.raises(RuntimeError):
        result.get(timeout=30, propagate=True)
    updates = task_updates(redis_client, f"pipeline_check_{result.id}", {"failed"})
    assert [u["data"]["status"] for u in updates] == ["started", "processing", "failed"]
    assert "asked to fail" in updates[-1]["data"]["message"]
    assert result.state == "FAILURE"
