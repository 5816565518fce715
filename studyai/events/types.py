"""Every event StudyAI emits: the type names (the seed's, exactly), the envelope and the schema of
each type's `data`. This module is the single source of truth; publisher and consumer both
validate against it.

Schemas are versioned: SCHEMAS maps (type, version) to a model. A new incompatible shape of a
type gets a new version beside the old one; consumers accept the versions listed here and
dead-letter the rest.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator


class EventType(StrEnum):
    DOCUMENT_UPLOADED = "document.uploaded"
    DOCUMENT_PROCESSING = "document.processing"
    DOCUMENT_PROCESSED = "document.processed"
    DOCUMENT_FAILED = "document.failed"
    INDEXING_STARTED = "indexing.started"
    INDEXING_PROGRESS = "indexing.progress"
    INDEXING_COMPLETED = "indexing.completed"
    INDEXING_FAILED = "indexing.failed"
    QUIZ_GENERATION_STARTED = "quiz.generation.started"
    QUIZ_GENERATION_PROGRESS = "quiz.generation.progress"
    QUIZ_GENERATED = "quiz.generated"
    QUIZ_GENERATION_FAILED = "quiz.generation.failed"
    TASK_STATUS_UPDATE = "task.status.update"
    USER_NOTIFICATION = "user.notification"

    @property
    def group(self) -> str:
        """'document', 'indexing', 'quiz' or 'system': what the consumer's subscribe_to_* use."""
        prefix = self.value.split(".", 1)[0]
        return prefix if prefix in {"document", "indexing", "quiz"} else "system"


class TaskStatus(StrEnum):
    PENDING = "pending"
    STARTED = "started"
    PROCESSING = "processing"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in {TaskStatus.COMPLETED, TaskStatus.FAILED}


class Level(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class InvalidEvent(ValueError):
    """An event that does not fit its schema. `field` names the first offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"invalid event: {field}: {message}")


# ---- data schemas (one per type and version) --------------------------------------------------

PositiveId = Annotated[int, Field(ge=1)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
Message = Annotated[str, Field(max_length=2000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class EventData(BaseModel):
    # Undeclared fields are refused; values are not coerced across types ("5" is not an int).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # The fields that say something a user wrote or uploaded (filenames, titles, messages, error
    # text): with EVENT_ENCRYPTION_KEYS set they leave the process encrypted (events/crypto.py).
    # Every text field is either listed here or in NOT_SENSITIVE, so a new one needs a decision
    # (tests/events/test_crypto.py checks).
    SENSITIVE: ClassVar[frozenset[str]] = frozenset()
    NOT_SENSITIVE: ClassVar[frozenset[str]] = frozenset()


class DocumentUploaded(EventData):
    SENSITIVE = frozenset({"filename"})
    NOT_SENSITIVE = frozenset({"content_type"})  # sniffed from the bytes, not what the client said

    document_id: PositiveId
    filename: ShortText
    file_size: Annotated[int, Field(ge=0)]
    content_type: ShortText


class DocumentProcessing(EventData):
    SENSITIVE = frozenset({"filename"})

    document_id: PositiveId
    filename: ShortText


class DocumentProcessed(EventData):
    document_id: PositiveId
    page_count: Annotated[int, Field(ge=0)]
    word_count: Annotated[int, Field(ge=0)]


class DocumentProcessedV2(DocumentProcessed):
    """Version 2 says which generation of the document was processed, so a subscriber (indexing)
    indexes that run's pages and a stale event of an older run is recognised."""

    generation: PositiveId


class DocumentFailed(EventData):
    SENSITIVE = frozenset({"reason"})
    NOT_SENSITIVE = frozenset({"reason_code"})  # one of a fixed set of codes

    document_id: PositiveId
    reason_code: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Reason


class IndexingStarted(EventData):
    document_id: PositiveId
    job_id: PositiveId


class IndexingProgress(EventData):
    document_id: PositiveId
    job_id: PositiveId
    current: Annotated[int, Field(ge=0)]
    total: Annotated[int, Field(ge=0)]


class IndexingCompleted(EventData):
    document_id: PositiveId
    job_id: PositiveId
    chunk_count: Annotated[int, Field(ge=0)]


class IndexingFailed(EventData):
    SENSITIVE = frozenset({"reason"})

    document_id: PositiveId
    job_id: PositiveId
    reason: Reason


class QuizGenerationStarted(EventData):
    quiz_id: PositiveId
    document_ids: Annotated[list[PositiveId], Field(min_length=1, max_length=100)]
    num_questions: Annotated[int, Field(ge=1, le=50)]


class QuizGenerationProgress(EventData):
    quiz_id: PositiveId
    current: Annotated[int, Field(ge=0)]
    total: Annotated[int, Field(ge=0)]


class QuizGenerated(EventData):
    quiz_id: PositiveId
    question_count: Annotated[int, Field(ge=0)]


class QuizGenerationFailed(EventData):
    SENSITIVE = frozenset({"reason"})

    quiz_id: PositiveId
    reason: Reason


class TaskStatusUpdate(EventData):
    SENSITIVE = frozenset({"message"})
    NOT_SENSITIVE = frozenset({"task_id", "task_type", "status"})  # built by the code from ids

    task_id: ShortText
    task_type: ShortText
    status: TaskStatus
    progress: Annotated[int, Field(ge=0, le=100)]
    message: Message = ""

    @field_validator("status", mode="before")
    @classmethod
    def _status_from_str(cls, value: Any) -> Any:
        # Strict mode refuses a plain str for an enum; JSON has no enums, so accept the values.
        return TaskStatus(value) if isinstance(value, str) and value in TaskStatus._value2member_map_ else value


class UserNotification(EventData):
    SENSITIVE = frozenset({"title", "message"})
    NOT_SENSITIVE = frozenset({"level"})

    title: ShortText
    message: Message
    level: Level = Level.INFO

    @field_validator("level", mode="before")
    @classmethod
    def _level_from_str(cls, value: Any) -> Any:
        return Level(value) if isinstance(value, str) and value in Level._value2member_map_ else value


SCHEMAS: dict[tuple[EventType, int], type[EventData]] = {
    (EventType.DOCUMENT_UPLOADED, 1): DocumentUploaded,
    (EventType.DOCUMENT_PROCESSING, 1): DocumentProcessing,
    (EventType.DOCUMENT_PROCESSED, 1): DocumentProcessed,
    (EventType.DOCUMENT_PROCESSED, 2): DocumentProcessedV2,
    (EventType.DOCUMENT_FAILED, 1): DocumentFailed,
    (EventType.INDEXING_STARTED, 1): IndexingStarted,
    (EventType.INDEXING_PROGRESS, 1): IndexingProgress,
    (EventType.INDEXING_COMPLETED, 1): IndexingCompleted,
    (EventType.INDEXING_FAILED, 1): IndexingFailed,
    (EventType.QUIZ_GENERATION_STARTED, 1): QuizGenerationStarted,
    (EventType.QUIZ_GENERATION_PROGRESS, 1): QuizGenerationProgress,
    (EventType.QUIZ_GENERATED, 1): QuizGenerated,
    (EventType.QUIZ_GENERATION_FAILED, 1): QuizGenerationFailed,
    (EventType.TASK_STATUS_UPDATE, 1): TaskStatusUpdate,
    (EventType.USER_NOTIFICATION, 1): UserNotification,
}
for _schema in SCHEMAS.values():
    # A misspelt name would leave the real field in clear without anyone noticing.
    _unknown = (_schema.SENSITIVE | _schema.NOT_SENSITIVE) - set(_schema.model_fields)
    if _unknown:
        raise TypeError(f"{_schema.__name__} marks fields it does not have: {sorted(_unknown)}")
CURRENT_VERSION: dict[EventType, int] = {}
for _type, _version in SCHEMAS:
    CURRENT_VERSION[_type] = max(_version, CURRENT_VERSION.get(_type, 0))

PROGRESS_TYPES = frozenset({EventType.INDEXING_PROGRESS, EventType.QUIZ_GENERATION_PROGRESS})
TERMINAL_TYPES = frozenset(
    {
        EventType.DOCUMENT_PROCESSED,
        EventType.DOCUMENT_FAILED,
        EventType.INDEXING_COMPLETED,
        EventType.INDEXING_FAILED,
        EventType.QUIZ_GENERATED,
        EventType.QUIZ_GENERATION_FAILED,
    }
)


def is_progress(event_type: EventType, task_status: str | None = None) -> bool:
    """For a raw envelope too: `task_status` is data.status of a task.status.update."""
    if event_type in PROGRESS_TYPES:
        return True
    return event_type == EventType.TASK_STATUS_UPDATE and task_status not in (TaskStatus.COMPLETED, TaskStatus.FAILED)


def is_terminal(event_type: EventType, task_status: str | None = None) -> bool:
    if event_type in TERMINAL_TYPES:
        return True
    return event_type == EventType.TASK_STATUS_UPDATE and task_status in (TaskStatus.COMPLETED, TaskStatus.FAILED)


# What names the job an event is about, by group: a job's progress is superseded by its next
# event. Not the correlation id, which names the request that started the work (one request, or
# one X-Request-ID a client reuses, may start several jobs).
_JOB_FIELDS = {"document": "document_id", "indexing": "job_id", "quiz": "quiz_id"}


def job_key(event_type: EventType, data: Any) -> str | None:
    """The job of an event, e.g. "indexing:12", from its data (a model, or a raw envelope's
    dict); None for an event that belongs to no job (user.notification)."""
    field = "task_id" if event_type == EventType.TASK_STATUS_UPDATE else _JOB_FIELDS.get(event_type.group)
    if field is None:
        return None
    value = data.get(field) if isinstance(data, dict) else getattr(data, field, None)
    return None if value in (None, "") else f"{event_type.group}:{value}"


# ---- the envelope ------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Event(BaseModel):
    """The envelope every event travels in. Build with Event.create(); parse with Event.from_json()."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID
    event_type: EventType
    version: Annotated[int, Field(ge=1)]
    occurred_at: datetime
    user_id: PositiveId
    correlation_id: Annotated[str, Field(max_length=255)] | None = None
    data: SerializeAsAny[EventData]

    @field_validator("occurred_at")
    @classmethod
    def _must_be_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() != timezone.utc.utcoffset(None):
            raise ValueError("must be a UTC timestamp")
        return value

    def __getattr__(self, name: str) -> Any:
        """The data's fields read as the event's own (`event.document_id`), as the seed's
        handlers do; read-only, as the event is frozen."""
        try:
            return super().__getattr__(name)  # type: ignore[misc]
        except AttributeError:
            data = self.__dict__.get("data")
            if data is not None and name in type(data).model_fields:
                return getattr(data, name)
            raise

    @property
    def is_progress(self) -> bool:
        """Superseded by the next event of the same job: may be coalesced, never needs storing."""
        return is_progress(self.event_type, self._task_status)

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.event_type, self._task_status)

    @property
    def job_key(self) -> str | None:
        return job_key(self.event_type, self.data)

    @property
    def _task_status(self) -> str | None:
        return self.data.status.value if isinstance(self.data, TaskStatusUpdate) else None

    @classmethod
    def create(
        cls,
        event_type: EventType | str,
        user_id: int,
        data: dict[str, Any] | EventData,
        *,
        correlation_id: str | None = None,
        version: int | None = None,
    ) -> "Event":
        """Validate and wrap `data`; raises InvalidEvent naming the field."""
        raw = {
            "event_id": str(uuid.uuid4()),
            "event_type": str(event_type),
            "version": version,
            "occurred_at": _utcnow().isoformat(),
            "user_id": user_id,
            "correlation_id": correlation_id,
            "data": data.model_dump(mode="json") if isinstance(data, EventData) else data,
        }
        if raw["version"] is None:
            raw["version"] = CURRENT_VERSION.get(_event_type_or_raise(raw["event_type"]), 1)
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Any) -> "Event":
        """Validate a decoded envelope (e.g. read from the stream); raises InvalidEvent."""
        if not isinstance(raw, dict):
            raise InvalidEvent("envelope", "must be a JSON object")
        event_type = _event_type_or_raise(raw.get("event_type"))
        version = raw.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidEvent("version", "must be an integer")
        schema = SCHEMAS.get((event_type, version))
        if schema is None:
            known = sorted(v for (t, v) in SCHEMAS if t == event_type)
            raise InvalidEvent("version", f"version {version} of {event_type} is not known (known: {known})")
        try:
            data = schema.model_validate(raw.get("data"))
        except ValidationError as exc:
            raise _invalid("data", exc) from None
        try:
            return cls.model_validate({**raw, "event_type": event_type, "data": data})
        except ValidationError as exc:
            raise _invalid(None, exc) from None

    @classmethod
    def from_json(cls, text: str | bytes) -> "Event":
        try:
            raw = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidEvent("envelope", f"not JSON: {exc}") from None
        return cls.from_dict(raw)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        return self.model_dump_json()


def _event_type_or_raise(value: Any) -> EventType:
    try:
        return EventType(value)
    except ValueError:
        raise InvalidEvent("event_type", f"unknown event type {value!r}") from None


def _invalid(prefix: str | None, exc: ValidationError) -> InvalidEvent:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"])
    field = ".".join(part for part in (prefix, location) if part) or (prefix or "envelope")
    return InvalidEvent(field, error["msg"])
