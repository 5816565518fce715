"""Run the notification service (any number of instances share the work through one group)."""
from __future__ import annotations

import logging
import signal
from typing import Any

from django.core.management.base import BaseCommand

from notifications.service import build_consumer


class Command(BaseCommand):
    help = "Consume the event stream and keep users' notification feeds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", default=None, help="consumer name (default: host-pid)")

    def handle(self, *args: Any, **options: Any) -> None:
        consumer = build_consumer(consumer_name=options["name"])
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: consumer.stop(timeout=0))
        logging.getLogger(__name__).info("notification service %s started", consumer.consumer_name)
        self.stdout.write(f"notification service {consumer.consumer_name} consuming {consumer.transport.stream}")
        self.stdout.flush()
        consumer.start()
