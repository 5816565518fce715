"""GET /api/tasks/{task_id}/: the state of a background task, from django-celery-results.

A task is visible only to the user who owns what it works on: the models below record the id of
the task processing them, so ownership is read from there (another user's task is a 404).
"""
from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.urls import path
from django_celery_results.models import TaskResult
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# (model, the lookup from it to its owner): every model that records a task_id.
TASK_OWNERS: tuple[tuple[str, str], ...] = (
    ("documents.Document", "owner"),
    ("indexing.IndexJob", "document__owner"),
    ("quizzes.Quiz", "owner"),
)


def owns_task(user: Any, task_id: str) -> bool:
    return any(
        apps.get_model(label).objects.filter(task_id=task_id, **{owner: user}).exists() for label, owner in TASK_OWNERS
    )


class TaskStateView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "TaskState",
            {
                "task_id": serializers.CharField(),
                "name": serializers.CharField(allow_null=True),
                "status": serializers.CharField(help_text="PENDING, STARTED, RETRY, SUCCESS or FAILURE"),
                "date_created": serializers.DateTimeField(allow_null=True),
                "date_done": serializers.DateTimeField(allow_null=True),
                "result": serializers.JSONField(allow_null=True),
            },
        )
    )
    def get(self, request: Request, task_id: str) -> Response:
        if not owns_task(request.user, task_id):
            raise NotFound(f"No task {task_id}.")
        row = TaskResult.objects.filter(task_id=task_id).first()
        if row is None:  # queued, not picked up yet
            return Response({"task_id": task_id, "name": None, "status": "PENDING", "date_created": None, "date_done": None, "result": None})
        # The result of a failed task is its exception: say that it failed, not its internals.
        return Response(
            {
                "task_id": task_id,
                "name": row.task_name,
                "status": row.status,
                "date_created": row.date_created,
                "date_done": row.date_done,
                "result": _decoded(row.result) if row.status == "SUCCESS" else None,
            }
        )


def _decoded(stored: str | None) -> Any:
    try:
        return json.loads(stored) if stored else None
    except ValueError:
        return None


urlpatterns = [path("tasks/<str:task_id>/", TaskStateView.as_view(), name="task-state")]
