"""Relay outbox rows that their publisher did not relay (it died after the commit, or Redis was
down): events to the stream, tasks to the broker (studyai/dispatch.py)."""
from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from studyai.dispatch import send_pending
from studyai.events.publisher import get_publisher


class Command(BaseCommand):
    help = "Run the outbox relay sweep (in a loop, or --once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="sweep once and exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between sweeps")
        parser.add_argument("--grace", type=float, default=None, help="only rows older than this (seconds)")

    def handle(self, *args: Any, **options: Any) -> None:
        publisher = get_publisher()
        grace = timedelta(seconds=options["grace"]) if options["grace"] is not None else None
        if options["once"]:
            self.stdout.write(f"relayed {publisher.relay_pending(grace=grace)} event(s), sent {send_pending(grace=grace)} task(s)")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"outbox relay sweeping every {options['interval']}s")
        while not stop.is_set():
            try:
                # Events first: a task's worker may look for the event that asked for it.
                while publisher.relay_pending(grace=grace):
                    pass
                while send_pending(grace=grace):
                    pass
            except Exception as exc:  # the database or Redis is away: say so and keep sweeping
                self.stderr.write(f"outbox sweep failed: {exc}")
            stop.wait(options["interval"])
