"""EventPublisher: validate, write to the outbox in the caller's transaction, relay on commit.

Why an outbox: an event must never be seen before the state it announces is committed, and must
not be lost when a process dies between the commit and the Redis write. So `publish` only inserts
a row; after the commit the same process relays it (one pipelined batch per transaction) and
deletes the row. Rows that a crashed process left behind are relayed by `relay_pending`, the sweep
that `manage.py relay_outbox` runs. Consumers dedupe on event_id, so the rare double relay (the
sweep racing a publisher stuck for longer than the grace period) is harmless.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from studyai import correlation

from .models import OutboxEvent
from .transport import REDIS_ERRORS, EventTransport, get_transport
from .types import SCHEMAS, Event, EventType, InvalidEvent, TaskStatus

log = logging.getLogger(__name__)

SWEEP_LEASE = timedelta(seconds=60)
# After a failed relay, publishers leave new rows to the sweep for this long instead of each
# waiting for Redis timeouts in the request or task that published.
RELAY_BACKOFF_SECONDS = 2.0


class EventPublisher:
    """Publishes events. The seed's helpers (`publish_document_uploaded(...)` …) wrap `publish`."""

    def __init__(self, redis_url: str | None = None, transport: EventTransport | None = None) -> None:
        self._transport = transport or (EventTransport(redis_url) if redis_url else None)
        self._local = threading.local()
        self._relay_paused_until = 0.0

    @property
    def transport(self) -> EventTransport:
        return self._transport or get_transport()

    # ---- the generic entry point ------------------------------------------------------------

    def publish(self, event: Event) -> Event:
        """Store the event in the outbox; it is relayed when the current transaction commits
        (at once outside a transaction)."""
        _check_schema(event)
        row = OutboxEvent.objects.create(
            event_id=event.event_id, event_type=event.event_type.value, user_id=event.user_id, payload=event.to_dict()
        )
        if not transaction.get_connection().in_atomic_block:
            # Autocommit: the row is committed already, relay it now.
            if time.monotonic() >= self._relay_paused_until:
                self._deliver_and_delete([(row.pk, event)])
            return event
        self._unrelayed().append((row.pk, event))
        transaction.on_commit(self._relay_unrelayed)
        return event

    def publish_many(self, events: Sequence[Event]) -> list[Event]:
        """Publish several events in one transaction: one insert and one relay batch."""
        for event in events:
            _check_schema(event)
        with transaction.atomic():
            rows = OutboxEvent.objects.bulk_create(
                [
                    OutboxEvent(event_id=e.event_id, event_type=e.event_type.value, user_id=e.user_id, payload=e.to_dict())
                    for e in events
                ]
            )
            if not all(row.pk for row in rows):  # backends that do not return ids from bulk inserts
                ids = dict(OutboxEvent.objects.filter(event_id__in=[e.event_id for e in events]).values_list("event_id", "pk"))
                rows = [OutboxEvent(pk=ids[e.event_id]) for e in events]
            self._unrelayed().extend((row.pk, event) for row, event in zip(rows, events))
            transaction.on_commit(self._relay_unrelayed)
        return list(events)

    def emit(
        self,
        event_type: EventType | str,
        user_id: int,
        data: dict[str, Any],
        correlation_id: str | None = None,
        version: int | None = None,
    ) -> Event:
        """Build and publish an event; without a correlation id it carries the one bound for the
        request, task or event handler publishing it (studyai/correlation.py)."""
        correlation_id = correlation_id or correlation.bound()
        return self.publish(Event.create(event_type, user_id, data, correlation_id=correlation_id, version=version))

    # ---- the seed's helpers -----------------------------------------------------------------

    def publish_document_uploaded(
        self, user_id: int, document_id: int, filename: str, file_size: int, content_type: str, correlation_id: str | None = None
    ) -> Event:
        data = {"document_id": document_id, "filename": filename, "file_size": file_size, "content_type": content_type}
        return self.emit(EventType.DOCUMENT_UPLOADED, user_id, data, correlation_id)

    def publish_document_processing(
        self, user_id: int, document_id: int, filename: str, correlation_id: str | None = None
    ) -> Event:
        data = {"document_id": document_id, "filename": filename}
        return self.emit(EventType.DOCUMENT_PROCESSING, user_id, data, correlation_id)

    def publish_document_processed(
        self, user_id: int, document_id: int, page_count: int, word_count: int, correlation_id: str | None = None,
        *, generation: int | None = None,
    ) -> Event:
        """Version 2 (with the document's generation) when it is given; version 1 without."""
        data: dict[str, Any] = {"document_id": document_id, "page_count": page_count, "word_count": word_count}
        if generation is None:
            return self.emit(EventType.DOCUMENT_PROCESSED, user_id, data, correlation_id, version=1)
        return self.emit(EventType.DOCUMENT_PROCESSED, user_id, {**data, "generation": generation}, correlation_id)

    def publish_document_failed(
        self, user_id: int, document_id: int, reason_code: str, reason: str, correlation_id: str | None = None
    ) -> Event:
        data = {"document_id": document_id, "reason_code": reason_code, "reason": reason}
        return self.emit(EventType.DOCUMENT_FAILED, user_id, data, correlation_id)

    def publish_indexing_started(
        self, user_id: int, document_id: int, job_id: int, correlation_id: str | None = None
    ) -> Event:
        data = {"document_id": document_id, "job_id": job_id}
        return self.emit(EventType.INDEXING_STARTED, user_id, data, correlation_id)

    def publish_indexing_progress(
        self, user_id: int, document_id: int, job_id: int, current: int, total: int, correlation_id: str | None = None
    ) -> Event:
        data = {"document_id": document_id, "job_id": job_id, "current": current, "total": total}
        return self.emit(EventType.INDEXING_PROGRESS, user_id, data, correlation_id)

    def publish_indexing_completed(
        self, user_id: int, document_id: int, job_id: int, chunk_count: int, correlation_id: str | None = None
    ) -> Event:
        data = {"document_id": document_id, "job_id": job_id, "chunk_count": chunk_count}
        return self.emit(EventType.INDEXING_COMPLETED, user_id, data, correlation_id)

    def publish_indexing_failed(
        self, user_id: int, document_id: int, job_id: int, reason: str, correlation_id: str | None = None
    ) -> Event:
        data = {"document_id": document_id, "job_id": job_id, "reason": reason}
        return self.emit(EventType.INDEXING_FAILED, user_id, data, correlation_id)

    def publish_quiz_generation_started(
        self, user_id: int, quiz_id: int, document_ids: list[int], num_questions: int, correlation_id: str | None = None
    ) -> Event:
        data = {"quiz_id": quiz_id, "document_ids": list(document_ids), "num_questions": num_questions}
        return self.emit(EventType.QUIZ_GENERATION_STARTED, user_id, data, correlation_id)

    def publish_quiz_generation_progress(
        self, user_id: int, quiz_id: int, current: int, total: int, correlation_id: str | None = None
    ) -> Event:
        data = {"quiz_id": quiz_id, "current": current, "total": total}
        return self.emit(EventType.QUIZ_GENERATION_PROGRESS, user_id, data, correlation_id)

    def publish_quiz_generated(
        self, user_id: int, quiz_id: int, question_count: int, correlation_id: str | None = None
    ) -> Event:
        data = {"quiz_id": quiz_id, "question_count": question_count}
        return self.emit(EventType.QUIZ_GENERATED, user_id, data, correlation_id)

    def publish_quiz_generation_failed(
        self, user_id: int, quiz_id: int, reason: str, correlation_id: str | None = None
    ) -> Event:
        data = {"quiz_id": quiz_id, "reason": reason}
        return self.emit(EventType.QUIZ_GENERATION_FAILED, user_id, data, correlation_id)

    def publish_task_status_update(
        self,
        user_id: int,
        task_id: str,
        task_type: str,
        status: TaskStatus | str,
        progress: int,
        message: str = "",
        correlation_id: str | None = None,
    ) -> Event:
        data = {"task_id": task_id, "task_type": task_type, "status": str(status), "progress": progress, "message": message}
        return self.emit(EventType.TASK_STATUS_UPDATE, user_id, data, correlation_id)

    def publish_user_notification(
        self, user_id: int, title: str, message: str, level: str = "info", correlation_id: str | None = None
    ) -> Event:
        data = {"title": title, "message": message, "level": level}
        return self.emit(EventType.USER_NOTIFICATION, user_id, data, correlation_id)

    # ---- relaying ---------------------------------------------------------------------------

    def _unrelayed(self) -> list[tuple[int, Event]]:
        # (row id, event) this thread published and has not relayed yet. After a rollback the
        # list may hold rows that never committed: the relay asks which ids exist first.
        pending: list[tuple[int, Event]] | None = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = []
        return pending

    def _relay_unrelayed(self) -> None:
        pending, self._local.pending = self._unrelayed(), []
        if not pending or time.monotonic() < self._relay_paused_until:
            return  # Redis failed a moment ago: the sweep relays these rows
        # By id and event id: SQLite hands a rolled-back row's id to the next insert.
        rows = OutboxEvent.objects.filter(pk__in=[pk for pk, _ in pending]).values_list("pk", "event_id")
        committed = set(rows)
        self._deliver_and_delete([(pk, event) for pk, event in pending if (pk, event.event_id) in committed])

    def relay_pending(self, grace: timedelta | None = None, limit: int = 500) -> int:
        """The sweep: relay rows older than `grace` that no publisher relayed (it died, or Redis
        was down). Rows are leased first, so two sweeps never relay the same row."""
        if grace is None:
            grace = timedelta(seconds=settings.STUDYAI_EVENTS["OUTBOX_GRACE_SECONDS"])
        token = OutboxEvent.lease(grace, limit, SWEEP_LEASE)
        if token is None:
            return 0
        rows = OutboxEvent.objects.filter(claimed_by=token).order_by("pk")
        return self._deliver_and_delete([(row.pk, Event.from_dict(row.payload)) for row in rows], claim=token)

    def _deliver_and_delete(self, rows: Sequence[tuple[int, Event]], claim: uuid.UUID | None = None) -> int:
        if not rows:
            return 0
        try:
            self.transport.deliver([event for _, event in rows])
        except REDIS_ERRORS as exc:
            self._relay_paused_until = time.monotonic() + RELAY_BACKOFF_SECONDS
            log.warning("event relay failed (%s); %d event(s) stay in the outbox for the sweep", exc, len(rows))
            if claim is not None:
                OutboxEvent.release(claim)
            return 0
        self._relay_paused_until = 0.0
        OutboxEvent.objects.filter(pk__in=[pk for pk, _ in rows]).delete()  # one DELETE: no cascades
        return len(rows)


def _check_schema(event: Event) -> None:
    """An Event is validated when built; what its constructor cannot see is `data` of another
    type's schema (any EventData fits the field)."""
    expected = SCHEMAS.get((event.event_type, event.version))
    if type(event.data) is not expected:
        raise InvalidEvent("data", f"is not the data of {event.event_type} version {event.version}")


_default_publisher: EventPublisher | None = None


def get_publisher() -> EventPublisher:
    global _default_publisher
    if _default_publisher is None:
        _default_publisher = EventPublisher()
    return _default_publisher
