from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from studyai.api import MAX_ID

from . import feed
from .models import Notification
from .serializers import NotificationSerializer, UnreadCountSerializer


class NotificationFilter(django_filters.FilterSet):
    # A choice, not a lenient boolean: `unread=maybe` is a 400, not silently ignored.
    unread = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="filter_unread",
        label="only unread (true) or only read (false)",
    )
    after = django_filters.NumberFilter(
        field_name="id", lookup_expr="gt", label="ids greater than this", min_value=0, max_value=MAX_ID, decimal_places=0
    )
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label="created at or after")

    class Meta:
        model = Notification
        fields = ["event_type"]

    def filter_unread(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(read=not value)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's own notification feed, oldest first (another user's notification is a 404)."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; get_queryset() scopes to the user
    filterset_class = NotificationFilter

    def get_queryset(self) -> Any:
        return Notification.objects.filter(user=self.request.user).order_by("id")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        if feed.mark_read(Notification.objects.filter(pk=notification.pk)):
            feed.unread_changed(request.user.pk)
            notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=inline_serializer("ReadAll", {"marked": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        marked = feed.mark_read(self.get_queryset())
        if marked:
            feed.unread_changed(request.user.pk)
        return Response({"marked": marked})

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None)
    def unread_count(self, request: Request) -> Response:
        return Response({"count": feed.unread_count(request.user.pk)})
