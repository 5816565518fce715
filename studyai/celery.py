"""The Celery app (the seed's settings), task decorators per queue, and EventDrivenTask.

Queues are routed by app in settings.CELERY_TASK_ROUTES (one place); the decorators here only
choose the task base class, so a task's queue is never repeated in code.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable

from celery import Celery, Task, shared_task
from celery.signals import task_postrun, task_prerun, worker_init
from django.db import InterfaceError, OperationalError
from kombu import Exchange, Queue
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyai.settings")

app = Celery("studyai")
app.config_from_object("django.conf:settings", namespace="CELERY")

QUEUES = ("document_queue", "indexing_queue", "quiz_queue")

app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    timezone="UTC",
    enable_utc=True,
    task_track_started=True,
    task_time_limit=30 * 60,
    task_soft_time_limit=25 * 60,
    # Each queue on its own direct exchange and key, so a route to one queue reaches only it.
    task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
    task_default_queue="document_queue",
    # A task is acknowledged only when it has finished, and a worker that dies mid-task gives it
    # back to the queue: tasks are idempotent, so running one again is safe.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_send_task_events=True,
    task_send_sent_event=True,
    broker_connection_retry_on_startup=True,
    # Django's LOGGING (JSON lines with the task's ids, studyai/logs.py) for the worker too.
    worker_hijack_root_logger=False,
)


app.autodiscover_tasks()


_log_context: dict[str, Any] = {}


@task_prerun.connect
def _bind_task_ids(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    from studyai import correlation, logs

    # The work's correlation id, sent by studyai.dispatch as a message header (a worker exposes
    # custom headers on the request, an eager call under `headers`); else the caller's, or new.
    request = task.request if task is not None else None
    given = getattr(request, correlation.TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(correlation.TASK_HEADER)
    _log_context[task_id or ""] = logs.bind(task_id=task_id, correlation_id=given or correlation.current())


@task_postrun.connect
def _unbind_task_ids(task_id: str | None = None, **_: Any) -> None:
    from studyai import logs

    token = _log_context.pop(task_id or "", None)
    if token is not None:
        try:
            logs.unbind(token)
        except ValueError:
            pass  # bound in another context (eager tasks run inside the caller's): nothing to undo


@worker_init.connect
def _refuse_insecure_start(**_: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from studyai.safety import refuse_insecure_start

    try:
        refuse_insecure_start()
    except ImproperlyConfigured as exc:
        # Celery logs and ignores a receiver's exception; SystemExit does stop the worker.
        print(f"refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    OperationalError,
    InterfaceError,
)


class StudyTask(Task):
    """Base for every StudyAI task: transient errors retry with exponential backoff and jitter."""

    # Errors worth another try: the network, Redis, the database being briefly unavailable.
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 5


def _task_decorator(**defaults: Any) -> Callable[..., Any]:
    def decorator(fn: Callable[..., Any] | None = None, **options: Any) -> Any:
        merged = {"bind": True, "base": StudyTask, **defaults, **options}
        if fn is None:
            return lambda f: shared_task(**merged)(f)
        return shared_task(**merged)(fn)

    return decorator


# The seed's decorators: `@document_task def process_document_task(self, ...)`. The queue comes
# from the task's module via CELERY_TASK_ROUTES.
document_task = _task_decorator()
indexing_task = _task_decorator()
quiz_task = _task_decorator()


def __getattr__(name: str) -> Any:
    # `from studyai.celery import EventDrivenTask`, as the seed imports it, without importing
    # Django models before the app registry is ready.
    if name == "EventDrivenTask":
        from studyai.events.tasks import EventDrivenTask

        return EventDrivenTask
    raise AttributeError(name)
