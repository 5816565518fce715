"""The transactional outbox: an event is written here in the publisher's transaction and relayed
to Redis once that transaction commits (or by the relay sweep, if the process died first)."""
from __future__ import annotations

from django.db import models


class OutboxEvent(models.Model):
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=64)
    user_id = models.BigIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set by a relay sweep that took the row; another sweep leaves it alone until the lease ends.
    claimed_by = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class OutboxTask(models.Model):
    """A Celery task to start, written in the transaction of the state change that needs it and
    sent to the broker once that commits (or by the relay sweep, if the broker was down or the
    process died first): starting work is as durable as publishing an event."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    task_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed_by = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} {self.task_id}"
