"""Run the watchdog (studyai/watchdog.py): a sweep every few seconds that finds stuck jobs."""
from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from studyai.watchdog import sweep


class Command(BaseCommand):
    help = "Find documents, index jobs and quizzes that stopped moving: report, re-send or fail them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="sweep once, print what was found, and exit")
        parser.add_argument("--interval", type=float, default=None, help="seconds between sweeps (default: WATCHDOG_INTERVAL_SECONDS)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            report = sweep()
            for line in report.lines() or ["nothing stuck"]:
                self.stdout.write(line)
            if report.broker_unreachable:
                self.stdout.write("the broker cannot be reached: queued jobs were not looked into")
            return
        interval = options["interval"] or settings.STUDYAI_WATCHDOG["INTERVAL_SECONDS"]
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"watchdog sweeping every {interval}s")
        self.stdout.flush()
        while not stop.is_set():
            try:
                sweep()
            except Exception as exc:  # the database is away: say so and keep sweeping
                self.stderr.write(f"watchdog sweep failed: {exc}")
            stop.wait(interval)
