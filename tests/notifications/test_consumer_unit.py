"""The WebSocket consumer in-process (in-memory channel layer): a job's progress never follows
its terminal event, the transport coalesces superseded progress in a batch, and an encrypted
live event that no key opens is dropped without harming the socket."""
from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from notifications.consumers import NotificationConsumer
from studyai.events.crypto import parse_keys, seal
from studyai.events.groups import user_group
from studyai.events.transport import coalesce_live
from studyai.events.types import Event, EventType

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def open_socket(settings: Any, user: Any) -> WebsocketCommunicator:
    """A connected socket of `user` on the in-memory layer, past its first frame (the unread count)."""
    settings.CHANNEL_LAYERS = IN_MEMORY
    communicator = WebsocketCommunicator(NotificationConsumer.as_asgi(), "/ws/notifications/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "unread_count"
    return communicator


def quiz_event(event_type: EventType, user_id: int, data: dict[str, Any]) -> Event:
    return Event.create(event_type, user_id, data, correlation_id="quiz-3")


async def test_progress_after_the_terminal_event_is_dropped(settings: Any, user: Any) -> None:
    communicator = await open_socket(settings, user)
    layer = get_channel_layer()
    sequence = [
        quiz_event(EventType.QUIZ_GENERATION_PROGRESS, user.pk, {"quiz_id": 3, "current": 5, "total": 10}),
        quiz_event(EventType.QUIZ_GENERATED, user.pk, {"quiz_id": 3, "question_count": 10}),
        quiz_event(EventType.QUIZ_GENERATION_PROGRESS, user.pk, {"quiz_id": 3, "current": 9, "total": 10}),  # late
    ]
    for event in sequence:
        await layer.group_send(user_group(user.pk), {"type": "event.message", "event": event.to_dict()})
    received = [(await communicator.receive_json_from())["event"]["event_type"] for _ in range(2)]
    assert received == ["quiz.generation.progress", "quiz.generated"]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


def test_coalescing_keeps_the_last_of_a_job_and_everything_else() -> None:
    progress = [quiz_event(EventType.QUIZ_GENERATION_PROGRESS, 1, {"quiz_id": 3, "current": i, "total": 10}) for i in range(3)]
    done = quiz_event(EventType.QUIZ_GENERATED, 1, {"quiz_id": 3, "question_count": 10})
    other = Event.create(EventType.INDEXING_PROGRESS, 1, {"document_id": 1, "job_id": 2, "current": 1, "total": 4}, correlation_id="index-job-2")
    assert coalesce_live([progress[0], other, progress[1], progress[2]]) == [other, progress[2]]
    assert coalesce_live([*progress, done]) == [done]
    assert coalesce_live([done]) == [done]


async def test_a_live_event_no_key_opens_is_dropped_and_the_socket_carries_on(settings: Any, user: Any) -> None:
    ours, theirs = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.EVENT_ENCRYPTION_KEYS = ours
    communicator = await open_socket(settings, user)
    layer = get_channel_layer()
    data = {"title": "private", "message": "words"}
    foreign = seal(Event.create(EventType.USER_NOTIFICATION, user.pk, data), parse_keys(theirs))
    await layer.group_send(user_group(user.pk), {"type": "event.message", "event": foreign})
    mine = seal(Event.create(EventType.USER_NOTIFICATION, user.pk, {**data, "title": "readable"}))
    assert mine["data"]["title"] != "readable"
    await layer.group_send(user_group(user.pk), {"type": "event.message", "event": mine})
    frame = await communicator.receive_json_from()
    assert frame["event"]["data"]["title"] == "readable" and "encrypted" not in frame["event"]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
