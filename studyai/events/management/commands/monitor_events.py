"""Print every event as it happens (the seed's "monitor all events"), optionally filtered.

It only reads the stream (XREAD, no consumer group), so it runs as the read-only monitor Redis
user (studyai/redis_acl.py) and never takes events from a real service."""
from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from studyai.events import crypto
from studyai.events.crypto import UndecryptableEvent
from studyai.events.transport import REDIS_ERRORS, get_transport
from studyai.events.types import EventType, InvalidEvent


class Command(BaseCommand):
    help = "Print events as they arrive on the stream."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--type", action="append", dest="types", choices=[t.value for t in EventType], help="repeatable")
        parser.add_argument("--user", type=int, default=None)
        parser.add_argument("--from-start", action="store_true", help="print what the stream retains first")

    def handle(self, *args: Any, **options: Any) -> None:
        types = {EventType(t) for t in options["types"] or []} or None
        user = options["user"]
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop)
        transport = get_transport()
        after = "0-0" if options["from_start"] else transport.last_entry_id()
        self.stderr.write(f"monitoring {transport.stream} after {after}")  # tests wait for this line
        self.stderr.flush()
        while not stopping:
            try:
                entries = transport.read_after(after, block_ms=500)
            except REDIS_ERRORS as exc:
                self.stderr.write(f"Redis unreachable ({exc}); retrying")
                time.sleep(1)
                continue
            for entry in entries:
                after = entry.entry_id
                try:
                    event = crypto.open_event(entry.payload)  # encrypted fields shown in clear
                except UndecryptableEvent as exc:
                    self.stderr.write(f"{entry.entry_id}: {exc}")  # under no key of EVENT_ENCRYPTION_KEYS
                    continue
                except InvalidEvent:
                    continue  # replays and malformed entries: the services dead-letter those
                if (types is None or event.event_type in types) and (user is None or event.user_id == user):
                    self.stdout.write(event.to_json())
                    self.stdout.flush()
