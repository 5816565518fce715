"""The transactional outboxes: an event (OutboxEvent) or a task to start (OutboxTask) is written
in the caller's transaction and relayed once that transaction commits, or by the relay sweep if
the process died first or Redis was down. Both share the sweep's lease (`OutboxRow.lease`)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxRow(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set by a relay sweep that took the row; another sweep leaves it alone until the lease ends.
    claimed_by = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    @classmethod
    def lease(cls, grace: timedelta, limit: int, duration: timedelta) -> uuid.UUID | None:
        """Take up to `limit` rows older than `grace` that no sweep holds, for `duration`; the
        token marks them (`claimed_by`), or None when there were none."""
        now = timezone.now()
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        candidates = list(cls.objects.filter(free, created_at__lte=now - grace).order_by("pk").values_list("pk", flat=True)[:limit])
        if not candidates:
            return None
        token = uuid.uuid4()
        cls.objects.filter(free, pk__in=candidates).update(claimed_by=token, claimed_until=now + duration)
        return token

    @classmethod
    def release(cls, token: uuid.UUID) -> None:
        """Give the rows a sweep could not relay back at once, not when the lease runs out."""
        cls.objects.filter(claimed_by=token).update(claimed_by=None, claimed_until=None)


class OutboxEvent(OutboxRow):
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=64)
    user_id = models.BigIntegerField()
    payload = models.JSONField()

    class Meta(OutboxRow.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class OutboxTask(OutboxRow):
    """A Celery task to start, written in the transaction of the state change that needs it and
    sent to the broker once that commits (or by the relay sweep, if the broker was down or the
    process died first): starting work is as durable as publishing an event (studyai/dispatch.py)."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    task_id = models.CharField(max_length=255, unique=True)
    # The work's correlation id (studyai/correlation.py), sent as the task's header.
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta(OutboxRow.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} {self.task_id}"
