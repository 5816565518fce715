"""The notification service's handler: what is stored, idempotency, and the wake-up push."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from notifications.models import Notification
from notifications.service import handle_event
from studyai.events.groups import user_group
from studyai.events.types import Event, EventType
from tests.events.samples import VALID_DATA

pytestmark = pytest.mark.django_db(transaction=True)


def event(event_type: EventType, user: Any, **data: Any) -> Event:
    return Event.create(event_type, user.pk, {**VALID_DATA[event_type], **data}, correlation_id="job-9")


def test_terminal_events_and_user_notifications_are_stored(redis_client: redis.Redis, user: Any) -> None:
    for event_type in EventType:
        handle_event(event(event_type, user))
    handle_event(event(EventType.TASK_STATUS_UPDATE, user, status="completed", progress=100, message="all done"))
    stored = list(Notification.objects.filter(user=user).values_list("event_type", "title"))
    assert stored == [
        ("document.processed", "Document processed"),
        ("document.failed", "Document failed"),
        ("indexing.completed", "Document indexed"),
        ("indexing.failed", "Indexing failed"),
        ("quiz.generated", "Quiz ready"),
        ("quiz.generation.failed", "Quiz failed"),
        ("user.notification", "Welcome"),
        ("task.status.update", "Task completed"),
    ]
    failed = Notification.objects.get(event_type="document.failed")
    assert "password-protected" in failed.message and failed.data["reason_code"] == "encrypted"


def test_same_event_twice_is_one_row_and_one_push(redis_client: redis.Redis, user: Any) -> None:
    layer = get_channel_layer()
    the_event = event(EventType.QUIZ_GENERATED, user)

    async def scenario() -> list[dict[str, Any]]:
        channel = await layer.new_channel()
        await layer.group_add(user_group(user.pk), channel)
        await sync_to_async(handle_event)(the_event)
        await sync_to_async(handle_event)(the_event)
        pushes = [await asyncio.wait_for(layer.receive(channel), 5)]
        try:
            pushes.append(await asyncio.wait_for(layer.receive(channel), 1))
        except asyncio.TimeoutError:
            pass
        return pushes

    pushes = async_to_sync(scenario)()
    assert Notification.objects.filter(event_id=the_event.event_id).count() == 1
    row = Notification.objects.get(event_id=the_event.event_id)
    assert pushes == [{"type": "notification.message", "id": row.pk}]


def test_event_for_an_unknown_user_is_skipped(redis_client: redis.Redis, django_user_model: Any) -> None:
    ghost = django_user_model(pk=999_999)
    handle_event(event(EventType.QUIZ_GENERATED, ghost))
    assert Notification.objects.count() == 0
