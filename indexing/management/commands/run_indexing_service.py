"""Run the indexing service: it indexes each processed document (any number of instances share
the work through one consumer group)."""
from __future__ import annotations

from indexing.subscriptions import build_consumer
from studyai.events.service_command import EventServiceCommand


class Command(EventServiceCommand):
    help = "Consume document.processed events from the event stream and queue their indexing."
    service = "indexing service"
    build_consumer = staticmethod(build_consumer)
