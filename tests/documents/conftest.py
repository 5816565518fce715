from __future__ import annotations

from typing import Any

import pytest

from studyai.events.publisher import EventPublisher
from studyai.events.types import Event, EventType


@pytest.fixture
def indexing_handover(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The documents whose processing handed over to indexing: the `document.processed` events
    (version 2, with the generation indexing needs) they published. Indexing subscribes to that
    event; tests/indexing covers what it does with it."""
    handed: list[int] = []
    publish = EventPublisher.publish

    def spy(self: EventPublisher, event: Event, *args: Any, **kwargs: Any) -> Event:
        if event.event_type == EventType.DOCUMENT_PROCESSED and event.version == 2:
            handed.append(event.document_id)
        return publish(self, event, *args, **kwargs)

    monkeypatch.setattr(EventPublisher, "publish", spy)
    return handed
