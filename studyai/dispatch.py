"""Durable dispatch: starting a Celery task is as durable as publishing an event.

`dispatch(task, *args)` writes an `OutboxTask` row in the caller's transaction and sends the task
to the broker once that transaction commits (at once, outside one). When the broker cannot be
reached, the row stays and the relay sweep (`manage.py relay_outbox`, which relays events too)
sends it once the broker is back: a broker down at commit time delays work, never loses it, and
never turns a request that committed its work into a 500. A task may be sent twice (a sweep after
a send whose delete was lost); tasks are idempotent, and the task id is the row's.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from studyai import correlation
from studyai.events.models import OutboxTask
from studyai.events.transport import REDIS_ERRORS

log = logging.getLogger(__name__)
SWEEP_LEASE = timedelta(seconds=30)
SEND_ERRORS: tuple[type[BaseException], ...] = (BrokerError, *REDIS_ERRORS)


def dispatch(task: Task, *args: Any, task_id: str | None = None, correlation_id: str | None = None, **kwargs: Any) -> str:
    """Start `task(*args, **kwargs)` once the current transaction commits; returns its task id
    (known now, so the caller can store it in the same transaction). The task runs with
    `correlation_id` (empty or None: the caller's, studyai/correlation.py) bound for its logs."""
    task_id = task_id or str(uuid.uuid4())
    row = OutboxTask.objects.create(
        task_name=task.name, args=list(args), kwargs=kwargs, task_id=task_id,
        correlation_id=correlation_id or correlation.current(),
    )
    transaction.on_commit(lambda: _send([row.pk]))
    return task_id


def send_pending(grace: timedelta | None = None, limit: int = 200) -> int:
    """The sweep: send the rows older than `grace` that were not sent (the broker was down, or
    the process died after the commit). Rows are leased first, so two sweeps never send one."""
    if grace is None:
        grace = timedelta(seconds=settings.STUDYAI_EVENTS["OUTBOX_GRACE_SECONDS"])
    token = OutboxTask.lease(grace, limit, SWEEP_LEASE)
    if token is None:
        return 0
    sent = _send(list(OutboxTask.objects.filter(claimed_by=token).values_list("pk", flat=True)))
    OutboxTask.release(token)  # the unsent, back at once
    return sent


def _send(pks: Sequence[int]) -> int:
    """Send the rows' tasks in order; stop at the first broker error (the rest wait for the sweep)."""
    sent: list[int] = []
    for row in OutboxTask.objects.filter(pk__in=pks).order_by("pk"):
        task = current_app.tasks[row.task_name]
        try:
            # retry=False: with the broker away, fail at once (the sweep retries), never hang a request.
            headers = {correlation.TASK_HEADER: row.correlation_id} if row.correlation_id else None
            task.apply_async(args=row.args, kwargs=row.kwargs, task_id=row.task_id, headers=headers, retry=False)
        except SEND_ERRORS as exc:
            log.warning("could not send %s (%s); %d task(s) wait in the outbox for the sweep", row, exc, len(pks) - len(sent))
            break
        sent.append(row.pk)
    OutboxTask.objects.filter(pk__in=sent).delete()
    return len(sent)
