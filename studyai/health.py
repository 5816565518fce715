"""GET /healthz: is every part the platform needs up? 200 when all are, 503 when one is down."""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .celery import QUEUES, app
from .events.models import OutboxEvent
from .events.transport import get_transport


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor, "outbox_backlog": OutboxEvent.objects.count()}
    except Exception as exc:
        return {"ok": False, "error": str(exc)}


def _check_redis() -> dict[str, Any]:
    try:
        transport = get_transport()
        transport.ping()
        return {"ok": True, "event_consumers": transport.heartbeats()}
    except Exception as exc:
        return {"ok": False, "error": str(exc)}


def _check_workers() -> dict[str, Any]:
    """Which workers answer, and whether every queue has at least one."""
    try:
        replies = app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception as exc:
        return {"ok": False, "error": str(exc), "queues": {q: [] for q in QUEUES}}
    by_queue: dict[str, list[str]] = {q: [] for q in QUEUES}
    for worker, queues in replies.items():
        for queue in queues or []:
            if queue.get("name") in by_queue:
                by_queue[queue["name"]].append(worker)
    missing = [q for q, workers in by_queue.items() if not workers]
    result: dict[str, Any] = {"ok": not missing, "queues": by_queue}
    if missing:
        result["error"] = f"no worker consumes {', '.join(missing)}"
    return result


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "redis": _check_redis()}
    checks["workers"] = _check_workers() if checks["redis"]["ok"] else {"ok": False, "error": "broker unreachable"}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
