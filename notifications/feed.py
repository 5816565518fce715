"""Writing to and reading from a user's notification feed; the one place that does either."""
from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from studyai.events.groups import user_group
from studyai.events.transport import REDIS_ERRORS, get_transport
from studyai.events.types import Event

from .messages import describe
from .models import FeedLock, Notification

log = logging.getLogger(__name__)

# Channel-layer message types the WebSocket consumer handles (notification_message, unread_changed).
NOTIFICATION_MESSAGE = "notification.message"
UNREAD_CHANGED_MESSAGE = "unread.changed"
REPLAY_BATCH = 200


def store(event: Event) -> Notification | None:
    """Store the event as a notification and wake the user's sockets. Idempotent on event_id:
    a second call for the same event stores nothing and pushes nothing (returns None)."""
    if Notification.objects.filter(event_id=event.event_id).exists():
        return None
    title, message = describe(event)
    if not get_user_model().objects.filter(pk=event.user_id).exists():
        log.warning("event %s names unknown user %s; not stored", event.event_id, event.user_id)
        return None
    try:
        with transaction.atomic():
            FeedLock.objects.get_or_create(user_id=event.user_id)
            FeedLock.objects.select_for_update().get(user_id=event.user_id)
            notification = Notification.objects.create(
                user_id=event.user_id,
                event_id=event.event_id,
                event_type=event.event_type.value,
                title=title[:500],
                message=message,
                data=event.to_dict()["data"],
            )
    except IntegrityError:
        # Another instance stored it between our check and our insert.
        if Notification.objects.filter(event_id=event.event_id).exists():
            return None
        raise
    wake(event.user_id, notification.pk)
    return notification


def wake(user_id: int, notification_id: int | None = None) -> None:
    """Tell the user's sockets that their feed grew. Only a wake-up: each socket reads the rows
    after the last one it sent, so a dropped push is made good by the next one or a resume."""
    _group_send(user_id, {"type": NOTIFICATION_MESSAGE, "id": notification_id})


def unread_changed(user_id: int) -> None:
    _group_send(user_id, {"type": UNREAD_CHANGED_MESSAGE})


def _group_send(user_id: int, message: dict[str, object]) -> None:
    try:
        get_transport().group_send(user_group(user_id), message)
    except REDIS_ERRORS as exc:  # the durable feed has it; sockets catch up on resume or ping
        log.warning("live push to user %s failed: %s", user_id, exc)


def after(user_id: int, last_id: int, limit: int = REPLAY_BATCH) -> list[Notification]:
    """The user's notifications with id > last_id, oldest first (safe thanks to FeedLock)."""
    return list(Notification.objects.filter(user_id=user_id, id__gt=last_id).order_by("id")[:limit])


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read=False).count()


def mark_read(notifications: QuerySet[Notification]) -> int:
    """Mark unread ones read; returns how many changed."""
    return notifications.filter(read=False).update(read=True, read_at=timezone.now())


def latest_id(user_id: int) -> int:
    last = Notification.objects.filter(user_id=user_id).order_by("-id").values_list("id", flat=True).first()
    return int(last or 0)
