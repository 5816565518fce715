"""Print every event as it happens (the seed's "monitor all events"), optionally filtered."""
from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from studyai.events.consumer import EventConsumer
from studyai.events.types import Event, EventType


class Command(BaseCommand):
    help = "Print events as they arrive on the stream."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--type", action="append", dest="types", choices=[t.value for t in EventType], help="repeatable")
        parser.add_argument("--user", type=int, default=None)
        parser.add_argument("--from-start", action="store_true", help="print what the stream retains first")

    def handle(self, *args: Any, **options: Any) -> None:
        types = {EventType(t) for t in options["types"] or []} or None
        user = options["user"]

        def show(event: Event) -> None:
            if user is None or event.user_id == user:
                self.stdout.write(event.to_json())
                self.stdout.flush()

        # A throwaway group of its own, so monitoring never takes events from a real service.
        consumer = EventConsumer(group=f"monitor-{id(self):x}", start_from="0" if options["from_start"] else "$", block_ms=500)
        consumer.subscribe(show, types)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: consumer.stop(timeout=0))
        try:
            consumer.start()
        finally:
            consumer.transport.drop_group(consumer.group)
