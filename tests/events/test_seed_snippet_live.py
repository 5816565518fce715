"""The system description's consumer snippet, run as written (only its import path is ours:
`services.shared` is `studyai.events` here): it prints each document event it consumes."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from studyai import processes
from studyai.events.publisher import EventPublisher
from studyai.events.types import Event, EventType

from ..conftest import LiveProcess
from .samples import VALID_DATA

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

SNIPPET = '''
from studyai.events import EventConsumer, EventType

# Initialize consumer
consumer = EventConsumer(redis_url="{redis_url}")

# Subscribe to specific events
def handle_document_event(event):
    print(f"Document event: {{event.event_type}} for document {{event.document_id}}", flush=True)

consumer.subscribe_to_document_events(handle_document_event)

# Start consuming events
consumer.start()
'''


def test_the_seeds_consumer_snippet_prints_the_event(start_process: Callable[..., LiveProcess], live_env: dict[str, Any], tmp_path: Path) -> None:
    script = tmp_path / "seed_consumer.py"
    script.write_text("import django\ndjango.setup()\n" + SNIPPET.format(redis_url=live_env["REDIS_URL"]))
    consumer = start_process("seed-consumer", [sys.executable, str(script)], env={"PYTHONPATH": str(processes.BASE_DIR)})
    EventPublisher().publish(Event.create(EventType.DOCUMENT_PROCESSED, 1, {**VALID_DATA[EventType.DOCUMENT_PROCESSED], "document_id": 4242}))
    consumer.wait_for_log("Document event: document.processed for document 4242", timeout=30)
    consumer.stop()
