"""EventDrivenTask: the seed's helper a Celery task uses to report its own status.

    task_handler = EventDrivenTask()
    task_handler.publish_task_started(task_id, user_id, "document_processing")
    task_handler.publish_task_progress(task_id, user_id, "document_processing", 50, "Processing...")
    task_handler.publish_task_completed(task_id, user_id, "document_processing", "Document processed!")
    task_handler.publish_task_failed(task_id, user_id, "document_processing", str(e))

Each update carries `correlation_id` when given, else the one bound for the running task
(studyai/correlation.py); `task_id` names the job in the event's data.

Progress updates closer together than EVENT_PROGRESS_MIN_INTERVAL_MS are coalesced (skipped):
each is superseded by the next, and the terminal update is always sent.
"""
from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from studyai.celery import document_task

from .publisher import EventPublisher, get_publisher
from .types import Event, TaskStatus


class EventDrivenTask:
    def __init__(self, publisher: EventPublisher | None = None, progress_min_interval_ms: int | None = None) -> None:
        self.publisher = publisher or get_publisher()
        interval = progress_min_interval_ms
        if interval is None:
            interval = settings.STUDYAI_EVENTS["PROGRESS_MIN_INTERVAL_MS"]
        self.progress_min_interval = interval / 1000
        self._last_progress_at: dict[str, float] = {}

    def publish_task_started(
        self, task_id: str, user_id: int, task_type: str, message: str = "Started", *, correlation_id: str | None = None
    ) -> Event:
        return self.publisher.publish_task_status_update(
            user_id, task_id, task_type, TaskStatus.STARTED, 0, message, correlation_id=correlation_id
        )

    def publish_task_progress(
        self, task_id: str, user_id: int, task_type: str, progress: int, message: str = "", *, correlation_id: str | None = None
    ) -> Event | None:
        """Returns None when the update was coalesced away."""
        now = time.monotonic()
        last = self._last_progress_at.get(task_id)
        if last is not None and now - last < self.progress_min_interval and progress < 100:
            return None
        self._last_progress_at[task_id] = now
        progress = max(0, min(100, int(progress)))
        return self.publisher.publish_task_status_update(
            user_id, task_id, task_type, TaskStatus.PROCESSING, progress, message, correlation_id=correlation_id
        )

    def publish_task_completed(
        self, task_id: str, user_id: int, task_type: str, message: str = "Completed", *, correlation_id: str | None = None
    ) -> Event:
        self._last_progress_at.pop(task_id, None)
        return self.publisher.publish_task_status_update(
            user_id, task_id, task_type, TaskStatus.COMPLETED, 100, message, correlation_id=correlation_id
        )

    def publish_task_failed(
        self, task_id: str, user_id: int, task_type: str, error: str, *, correlation_id: str | None = None
    ) -> Event:
        self._last_progress_at.pop(task_id, None)
        message = (error or "failed")[:2000]
        return self.publisher.publish_task_status_update(
            user_id, task_id, task_type, TaskStatus.FAILED, 100, message, correlation_id=correlation_id
        )


@document_task
def pipeline_check(self: Any, user_id: int, steps: int = 3, fail: bool = False, step_seconds: float = 0.0) -> str:
    """A task that only reports on itself: started, `steps` progress updates, then completed (or
    failed when `fail`). Operators run it to watch the whole path work, worker to WebSocket:
    `celery -A studyai call studyai.events.tasks.pipeline_check --kwargs '{"user_id": 1}'`."""
    task_handler = EventDrivenTask(progress_min_interval_ms=0)
    task_id = f"pipeline_check_{self.request.id}"
    task_type = "pipeline_check"
    try:
        task_handler.publish_task_started(task_id, user_id, task_type)
        for step in range(1, steps + 1):
            time.sleep(step_seconds)
            task_handler.publish_task_progress(task_id, user_id, task_type, step * 100 // (steps + 1), f"step {step} of {steps}")
        if fail:
            raise RuntimeError("pipeline_check was asked to fail")
        task_handler.publish_task_completed(task_id, user_id, task_type, "pipeline check passed")
    except Exception as e:
        task_handler.publish_task_failed(task_id, user_id, task_type, str(e))
        raise
    return task_id
