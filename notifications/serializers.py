from __future__ import annotations

from rest_framework import serializers

from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """The one shape of a notification, in the REST API and in WebSocket frames alike."""

    class Meta:
        model = Notification
        fields = ["id", "event_type", "title", "message", "data", "created_at", "read"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
