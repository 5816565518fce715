"""Publish one validated event from the command line (operators, tests, demos)."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from studyai.events.publisher import get_publisher
from studyai.events.types import Event, EventType, InvalidEvent


class Command(BaseCommand):
    help = "Publish an event: publish_event TYPE --user ID --data '{...}'"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("event_type", choices=[t.value for t in EventType])
        parser.add_argument("--user", type=int, required=True, help="the user id the event concerns")
        parser.add_argument("--data", default="{}", help="the event's data as a JSON object")
        parser.add_argument("--correlation-id", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = json.loads(options["data"])
        except ValueError as exc:
            raise CommandError(f"--data is not JSON: {exc}") from None
        try:
            event = Event.create(options["event_type"], options["user"], data, correlation_id=options["correlation_id"])
        except InvalidEvent as exc:
            raise CommandError(str(exc)) from None
        get_publisher().publish(event)
        self.stdout.write(event.to_json())
