"""The notification service: an EventConsumer with its own group that turns events into stored
notifications and pushes them to the user's sockets."""
from __future__ import annotations

import logging

from studyai.events.consumer import EventConsumer, with_fresh_connection
from studyai.events.types import Event

from . import feed
from .messages import should_store

CONSUMER_GROUP = "notification-service"
log = logging.getLogger(__name__)


def handle_event(event: Event) -> None:
    if should_store(event):
        notification = feed.store(event)
        if notification is not None:  # (the consumer bound the event's ids for this line)
            log.info("%s stored as notification %s", event.event_type, notification.pk)


def build_consumer(**options: object) -> EventConsumer:
    consumer = EventConsumer(group=CONSUMER_GROUP, **options)  # type: ignore[arg-type]
    consumer.subscribe_to_all_events(with_fresh_connection(handle_event))
    return consumer
