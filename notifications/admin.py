from __future__ import annotations

from typing import Any

from django.contrib import admin

from . import feed
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "event_type", "title", "read", "created_at"]
    list_filter = ["event_type", "read", "user"]
    search_fields = ["title", "message", "user__username", "event_id"]
    readonly_fields = ["event_id", "event_type", "data", "created_at", "read_at"]
    actions = ["mark_read"]

    @admin.action(description="Mark selected notifications read")
    def mark_read(self, request: Any, queryset: Any) -> None:
        users = set(queryset.filter(read=False).values_list("user_id", flat=True))
        marked = feed.mark_read(queryset)
        for user_id in users:
            feed.unread_changed(user_id)
        self.message_user(request, f"{marked} notification(s) marked read.")
