"""One upload's story under one correlation id, across real processes: daphne (the request), the
Celery worker (processing and indexing), the indexing service (document.processed → the index
job) and the notification service log JSON lines that carry the X-Request-ID the client sent,
and the events of both jobs carry it too. No process logs the user's token, though the token
crossed daphne in an Authorization header and a WebSocket's ?token=."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis
from rest_framework.authtoken.models import Token

from documents.models import Document
from indexing.models import IndexJob
from notifications.models import Notification
from studyai import processes

from .conftest import LiveProcess, start_worker, wait_until
from .notifications.wsclient import FeedClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

REQUEST_ID = "upload-trace-2f0c9a7e"
PAGE = b"<html><body><h1>Osmosis</h1><p>" + b"Water moves across a membrane towards the higher solute concentration. " * 30 + b"</p></body></html>"


def json_lines(process: LiveProcess) -> list[dict[str, Any]]:
    """The process's JSON log lines (other output, e.g. Celery's banner, is skipped)."""
    lines = []
    for line in process.log().splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


def test_one_upload_leaves_lines_with_one_correlation_id_in_every_process_and_no_token(
    start_process: Callable[..., LiveProcess], user: Any, redis_client: redis.Redis
) -> None:
    env = {"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    http_port = processes.free_port()
    started: list[LiveProcess] = []
    try:
        daphne = start_process("daphne-trace", processes.daphne_command(http_port), env=env, port=http_port)
        started.append(daphne)
        worker = start_worker(start_process, "worker-trace", env=env)
        started.append(worker)
        indexing = start_process("indexing-trace", processes.manage("run_indexing_service"), env=env)
        notifications = start_process("notifications-trace", processes.manage("run_notification_service"), env=env)
        started += [indexing, notifications]
        processes.wait_for_port(http_port, daphne.proc)
        for service in (indexing, notifications):
            service.wait_for_log("consuming")
        token = Token.objects.create(user=user).key

        feed = FeedClient(http_port, query=f"token={token}")  # the ?token= path of the WebSocket
        assert feed.wait_for("unread_count")["type"] == "unread_count"
        response = httpx.post(
            f"http://127.0.0.1:{http_port}/api/documents/", files={"file": ("osmosis.html", PAGE, "text/html")},
            headers={"Authorization": f"Token {token}", "X-Request-ID": REQUEST_ID}, timeout=30,
        )
        assert response.status_code == 201, response.text
        assert response.headers["X-Request-ID"] == REQUEST_ID
        document_id = response.json()["id"]

        def indexed() -> bool:
            return IndexJob.objects.filter(document_id=document_id, status=IndexJob.Status.COMPLETED).exists()

        wait_until(indexed, 90, lambda: f"document {Document.objects.get(pk=document_id).status}")
        wait_until(lambda: Notification.objects.filter(user=user, event_type="indexing.completed").exists(), 30, "indexing.completed stored")
        feed.close()
        assert Document.objects.get(pk=document_id).correlation_id == REQUEST_ID
        assert IndexJob.objects.get(document_id=document_id).correlation_id == REQUEST_ID
    finally:
        for process in started:
            process.stop()  # now, not at the end of the session: their logs are complete

    # The events of both jobs: the document's (task.status.update included) and the index job's.
    events = [json.loads(fields["event"]) for _id, fields in redis_client.xrange("study_ai_events")]
    types = {e["event_type"] for e in events if e["correlation_id"] == REQUEST_ID}
    assert {"document.uploaded", "document.processing", "document.processed", "task.status.update"} <= types
    assert {"indexing.started", "indexing.completed"} <= types
    assert all(e["correlation_id"] == REQUEST_ID for e in events if e["user_id"] == user.pk)

    def traced(process: LiveProcess) -> list[str]:
        return [line["message"] for line in json_lines(process) if line.get("correlation_id") == REQUEST_ID]

    assert any(m.startswith("POST /api/documents/ 201") for m in traced(daphne)), daphne.log()[-3000:]
    worker_lines = traced(worker)
    assert any("uploaded -> processing" in m for m in worker_lines), worker.log()[-3000:]
    assert any("processing -> processed" in m for m in worker_lines)
    assert any("running -> completed" in m for m in worker_lines)  # the index job, started by the indexing service
    # Bound for the whole task (the dispatch header), not only on the job's own lines: Celery's too.
    succeeded = [m for m in worker_lines if m.startswith("Task ") and " succeeded " in m]
    assert any("process_document" in m for m in succeeded) and any("index_document" in m for m in succeeded), worker_lines
    assert any("document.processed stored as notification" in m for m in traced(notifications)), notifications.log()[-3000:]
    assert any("indexing.completed stored as notification" in m for m in traced(notifications))
    for process in started:
        assert json_lines(process), f"{process.name} logged no JSON line"
        assert token not in process.log(), f"{process.name} logged the token"
