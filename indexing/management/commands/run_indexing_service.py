"""Run the indexing service: it indexes each processed document (any number of instances share
the work through one consumer group)."""
from __future__ import annotations

import logging
import signal
from typing import Any

from django.core.management.base import BaseCommand

from indexing.subscriptions import build_consumer


class Command(BaseCommand):
    help = "Consume document.processed events from the event stream and queue their indexing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", default=None, help="consumer name (default: host-pid)")

    def handle(self, *args: Any, **options: Any) -> None:
        consumer = build_consumer(consumer_name=options["name"])
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: consumer.stop(timeout=0))
        logging.getLogger(__name__).info("indexing service %s started", consumer.consumer_name)
        self.stdout.write(f"indexing service {consumer.consumer_name} consuming {consumer.transport.stream}")
        self.stdout.flush()
        consumer.start()
