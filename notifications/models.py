"""The user's durable feed: one row per stored event (the event id is the idempotency key)."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=500)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict)
    read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "id"], name="notif_user_id"),
            models.Index(fields=["user", "read"], name="notif_user_read"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} for {self.user_id}"


class FeedLock(models.Model):
    """One row per user, locked while a notification is inserted for that user.

    Resume asks for "every notification after id N". Ids come from a sequence, so with several
    writers a higher id can commit before a lower one; a reader between the two commits would
    then skip the lower one forever. Holding this lock from insert to commit makes one user's
    ids commit in id order, so "id > N" never skips a row.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
