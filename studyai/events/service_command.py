"""The one shape of a command that runs an event service (notifications, indexing): build its
EventConsumer, stop on SIGINT/SIGTERM, say it is consuming (tests and `make run` wait for that
line), consume. Any number of instances share the work through the service's consumer group."""
from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand

from .consumer import EventConsumer


class EventServiceCommand(BaseCommand):
    service = "event service"  # its name in the log
    build_consumer: Callable[..., EventConsumer]

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", default=None, help="consumer name (default: host-pid)")

    def handle(self, *args: Any, **options: Any) -> None:
        consumer = type(self).build_consumer(consumer_name=options["name"])
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: consumer.stop(timeout=0))
        logging.getLogger(type(self).__module__).info("%s %s started", self.service, consumer.consumer_name)
        self.stdout.write(f"{self.service} {consumer.consumer_name} consuming {consumer.transport.stream}")
        self.stdout.flush()
        consumer.start()
