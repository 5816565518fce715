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
