"""Run the notification service (any number of instances share the work through one group)."""
from __future__ import annotations

from notifications.service import build_consumer
from studyai.events.service_command import EventServiceCommand


class Command(EventServiceCommand):
    help = "Consume the event stream and keep users' notification feeds."
    service = "notification service"
    build_consumer = staticmethod(build_consumer)
