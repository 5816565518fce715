from django.contrib import admin

from .models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Events committed but not yet relayed to Redis (normally empty)."""

    list_display = ["id", "event_type", "user_id", "created_at", "claimed_until"]
    list_filter = ["event_type"]
    readonly_fields = ["event_id", "event_type", "user_id", "payload", "created_at", "claimed_by", "claimed_until"]
