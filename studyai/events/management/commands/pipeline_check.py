"""Run a task through a real worker and print its events as they arrive: the quickest way to
see the whole path (worker → outbox → Redis → stream / pub/sub / WebSocket) working."""
from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from studyai.events.crypto import open_event
from studyai.events.tasks import pipeline_check
from studyai.events.transport import get_transport
from studyai.events.types import InvalidEvent, TaskStatusUpdate


class Command(BaseCommand):
    help = "Send pipeline_check to document_queue and print its task.status.update events."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", type=int, required=True, help="the user id the events are for")
        parser.add_argument("--steps", type=int, default=3)
        parser.add_argument("--fail", action="store_true", help="make the task fail at the end")
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args: Any, **options: Any) -> None:
        transport = get_transport()
        last_id = transport.last_entry_id()
        result = pipeline_check.delay(user_id=options["user"], steps=options["steps"], fail=options["fail"])
        task_id = f"pipeline_check_{result.id}"
        self.stdout.write(f"sent {task_id} to document_queue")
        deadline = time.monotonic() + options["timeout"]
        while time.monotonic() < deadline:
            for entry in transport.read_after(last_id, block_ms=500):
                last_id = entry.entry_id
                try:
                    event = open_event(entry.payload)  # decrypted when EVENT_ENCRYPTION_KEYS is set
                except InvalidEvent:
                    continue  # not ours to judge: consumers dead-letter it
                if not isinstance(event.data, TaskStatusUpdate) or event.data.task_id != task_id:
                    continue
                data = event.data
                self.stdout.write(f"{event.event_type}  {data.status:<10} {data.progress:>3}%  {data.message}")
                if data.status.is_terminal:
                    return
        raise CommandError(f"no terminal event for {task_id} within {options['timeout']}s: is a worker on document_queue running?")
