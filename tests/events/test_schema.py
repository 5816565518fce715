"""Every event type: built, validated, JSON round-tripped; every invalid field refused by name."""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from studyai.events.types import CURRENT_VERSION, SCHEMAS, Event, EventType, InvalidEvent, TaskStatus

from .samples import VALID_DATA

ALL_TYPES = list(EventType)


def test_the_fourteen_seed_names() -> None:
    assert {t.value for t in EventType} == {
        "document.uploaded", "document.processing", "document.processed", "document.failed",
        "indexing.started", "indexing.progress", "indexing.completed", "indexing.failed",
        "quiz.generation.started", "quiz.generation.progress", "quiz.generated", "quiz.generation.failed",
        "task.status.update", "user.notification",
    }
    assert set(VALID_DATA) == set(EventType)
    assert {t for t, _ in SCHEMAS} == set(EventType)


@pytest.mark.parametrize("event_type", ALL_TYPES, ids=str)
def test_build_validate_and_json_round_trip(event_type: EventType) -> None:
    event = Event.create(event_type, 7, VALID_DATA[event_type], correlation_id="job-1")
    wire = json.loads(json.dumps(event.to_dict()))
    assert set(wire) == {"event_id", "event_type", "version", "occurred_at", "user_id", "correlation_id", "data"}
    assert wire["event_type"] == event_type.value
    assert wire["version"] == CURRENT_VERSION[event_type]
    assert wire["occurred_at"].endswith("Z")  # UTC, ISO-8601
    assert wire["data"] == VALID_DATA[event_type]
    again = Event.from_json(json.dumps(wire))
    assert again == event
    assert Event.from_json(event.to_json()).to_dict() == wire


def _required_fields(event_type: EventType) -> list[str]:
    schema = SCHEMAS[(event_type, 1)]
    return [name for name, field in schema.model_fields.items() if field.is_required()]


CASES = [(t, f) for t in ALL_TYPES for f in _required_fields(t)]


@pytest.mark.parametrize(("event_type", "field"), CASES, ids=[f"{t}-{f}" for t, f in CASES])
def test_missing_field_is_named(event_type: EventType, field: str) -> None:
    data = {k: v for k, v in VALID_DATA[event_type].items() if k != field}
    with pytest.raises(InvalidEvent) as info:
        Event.create(event_type, 7, data)
    assert info.value.field == f"data.{field}"
    assert field in str(info.value)


@pytest.mark.parametrize(("event_type", "field"), CASES, ids=[f"{t}-{f}" for t, f in CASES])
def test_wrong_type_is_named(event_type: EventType, field: str) -> None:
    good = VALID_DATA[event_type][field]
    bad: Any = {"nested": True} if not isinstance(good, dict) else "text"
    with pytest.raises(InvalidEvent) as info:
        Event.create(event_type, 7, {**VALID_DATA[event_type], field: bad})
    assert info.value.field == f"data.{field}"


@pytest.mark.parametrize("event_type", ALL_TYPES, ids=str)
def test_undeclared_field_is_refused(event_type: EventType) -> None:
    with pytest.raises(InvalidEvent) as info:
        Event.create(event_type, 7, {**VALID_DATA[event_type], "surprise": 1})
    assert info.value.field == "data.surprise"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"event_type": "document.exploded"}, "event_type"),
        ({"version": 99}, "version"),
        ({"version": "1"}, "version"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"occurred_at": "2026-11-30T10:00:00"}, "occurred_at"),
        ({"occurred_at": "2026-11-30T10:00:00+02:00"}, "occurred_at"),
        ({"user_id": 0}, "user_id"),
        ({"user_id": "someone"}, "user_id"),
        ({"extra": "x"}, "extra"),
    ],
)
def test_invalid_envelope_fields_are_named(patch: dict[str, Any], field: str) -> None:
    wire = Event.create(EventType.QUIZ_GENERATED, 7, VALID_DATA[EventType.QUIZ_GENERATED]).to_dict()
    with pytest.raises(InvalidEvent) as info:
        Event.from_dict({**wire, **patch})
    assert info.value.field == field


def test_bounds_and_enums() -> None:
    base = VALID_DATA[EventType.TASK_STATUS_UPDATE]
    with pytest.raises(InvalidEvent, match="data.progress"):
        Event.create(EventType.TASK_STATUS_UPDATE, 1, {**base, "progress": 101})
    with pytest.raises(InvalidEvent, match="data.status"):
        Event.create(EventType.TASK_STATUS_UPDATE, 1, {**base, "status": "exploded"})
    with pytest.raises(InvalidEvent, match="data.document_ids"):
        Event.create(EventType.QUIZ_GENERATION_STARTED, 1, {**VALID_DATA[EventType.QUIZ_GENERATION_STARTED], "document_ids": []})
    with pytest.raises(InvalidEvent, match="envelope"):
        Event.from_json(b"{not json")
    with pytest.raises(InvalidEvent, match="envelope"):
        Event.from_json("[1, 2]")


def test_progress_and_terminal_classification() -> None:
    def task(status: TaskStatus) -> Event:
        return Event.create(EventType.TASK_STATUS_UPDATE, 1, {**VALID_DATA[EventType.TASK_STATUS_UPDATE], "status": status.value})

    assert task(TaskStatus.PROCESSING).is_progress and not task(TaskStatus.PROCESSING).is_terminal
    assert task(TaskStatus.COMPLETED).is_terminal and not task(TaskStatus.COMPLETED).is_progress
    assert Event.create(EventType.INDEXING_PROGRESS, 1, VALID_DATA[EventType.INDEXING_PROGRESS]).is_progress
    assert Event.create(EventType.QUIZ_GENERATED, 1, VALID_DATA[EventType.QUIZ_GENERATED]).is_terminal
    assert EventType.TASK_STATUS_UPDATE.group == "system" and EventType.QUIZ_GENERATED.group == "quiz"


def test_event_ids_are_unique_uuids() -> None:
    a = Event.create(EventType.QUIZ_GENERATED, 1, VALID_DATA[EventType.QUIZ_GENERATED])
    b = Event.create(EventType.QUIZ_GENERATED, 1, VALID_DATA[EventType.QUIZ_GENERATED])
    assert isinstance(a.event_id, uuid.UUID) and a.event_id != b.event_id


def test_document_processed_version_1_is_still_accepted_and_version_2_needs_the_generation() -> None:
    old = {k: v for k, v in VALID_DATA[EventType.DOCUMENT_PROCESSED].items() if k != "generation"}
    v1 = Event.create(EventType.DOCUMENT_PROCESSED, 7, old, version=1)
    assert Event.from_json(v1.to_json()).version == 1 and not hasattr(v1.data, "generation")
    with pytest.raises(InvalidEvent, match="data.generation"):
        Event.create(EventType.DOCUMENT_PROCESSED, 7, old)
    assert Event.create(EventType.DOCUMENT_PROCESSED, 7, VALID_DATA[EventType.DOCUMENT_PROCESSED]).version == 2


def test_the_seeds_handler_reads_data_fields_as_attributes() -> None:
    event = Event.create(EventType.DOCUMENT_PROCESSED, 7, VALID_DATA[EventType.DOCUMENT_PROCESSED])
    # The system description's consumer snippet, unchanged:
    line = f"Document {event.document_id} event: {event.event_type.value}"
    assert line == "Document 4 event: document.processed"
    assert event.page_count == 12 and event.user_id == 7
    with pytest.raises(AttributeError):
        event.quiz_id  # noqa: B018  (not a field of this event's data)
    with pytest.raises(Exception):  # frozen: read-only
        event.document_id = 5  # type: ignore[misc]
