"""Redis (the broker and the event stream) is down when a student uploads: the upload is kept
(201) or refused whole (503), never a 500; once Redis is back the document is processed and
indexed with nobody touching it, one document.processed notification, and /healthz says 200
again. The same for a quiz request and a reindex (202 or 503, never a 500; run once, one
completion notification, with the request's correlation id). Real processes on a Redis of this test's own (so it can be killed)."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rest_framework.authtoken.models import Token

from documents.models import Document
from indexing.models import Chunk, IndexJob
from notifications.models import Notification
from quizzes.models import Quiz
from studyai import processes

from .conftest import LiveProcess, start_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

PAGE = b"<html><body><h1>zlib usage</h1><p>" + b"Deflate compresses a stream of bytes into a smaller stream. " * 40 + b"</p></body></html>"


def test_an_upload_while_redis_is_down_is_processed_and_indexed_once_it_is_back(
    start_process: Callable[..., LiveProcess], user: Any, tmp_path: Path
) -> None:
    port = processes.free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = processes.start_embedded_redis(port, tmp_path / "redis", persistent=True)
    try:
        env = {"REDIS_URL": url, "EVENT_OUTBOX_GRACE_SECONDS": "1"}
        http_port = processes.free_port()
        daphne = start_process("daphne-broker", processes.daphne_command(http_port), env=env, port=http_port)
        worker = start_worker(start_process, "worker-broker", env=env)
        services = [
            start_process("indexing-broker", processes.manage("run_indexing_service"), env=env),
            start_process("notifications-broker", processes.manage("run_notification_service"), env=env),
        ]
        relay = start_process("relay-broker", processes.manage("relay_outbox", "--interval", "0.5"), env=env)
        processes.wait_for_port(http_port, daphne.proc)
        for service in services:
            service.wait_for_log("consuming")
        base = f"http://127.0.0.1:{http_port}"
        token = Token.objects.create(user=user).key

        processes.stop(server)  # Redis goes away before the upload
        response = httpx.post(
            f"{base}/api/documents/", files={"file": ("zlib_how.html", PAGE, "text/html")},
            headers={"Authorization": f"Token {token}"}, timeout=30,
        )
        assert response.status_code in (201, 503), response.text  # kept, or refused whole: never a 500
        if response.status_code == 503:
            assert not Document.objects.exists()
            return
        document_id = response.json()["id"]
        time.sleep(1.0)
        server = processes.start_embedded_redis(port, tmp_path / "redis", persistent=True)  # …and it comes back

        def indexed() -> bool:
            job = IndexJob.objects.filter(document_id=document_id).first()
            return job is not None and job.status == IndexJob.Status.COMPLETED

        wait_until(indexed, 90, lambda: f"document {Document.objects.get(pk=document_id).status}, jobs {list(IndexJob.objects.values_list('status', flat=True))}")
        assert Document.objects.get(pk=document_id).status == Document.Status.PROCESSED
        assert Chunk.objects.filter(document_id=document_id).exists()
        processed = lambda: Notification.objects.filter(user=user, event_type="document.processed").count()  # noqa: E731
        wait_until(lambda: processed() >= 1, 30, "a document.processed notification")
        wait_until(lambda: Notification.objects.filter(user=user, event_type="indexing.completed").exists(), 30, "indexing.completed")
        time.sleep(1.0)
        assert processed() == 1
        wait_until(lambda: httpx.get(f"{base}/healthz", timeout=10).status_code == 200, 60, lambda: httpx.get(f"{base}/healthz", timeout=10).text)

        # The same for a quiz request and a reindex: accepted while Redis is down, run once it is back.
        processes.stop(server)
        headers = {"Authorization": f"Token {token}"}
        quiz = httpx.post(
            f"{base}/api/quizzes/", json={"document_ids": [document_id], "num_questions": 3},
            headers={**headers, "X-Request-ID": "quiz-while-redis-is-down"}, timeout=30,
        )
        reindex = httpx.post(
            f"{base}/api/documents/{document_id}/reindex/", headers={**headers, "X-Request-ID": "reindex-while-redis-is-down"}, timeout=30
        )
        assert quiz.status_code in (202, 503) and reindex.status_code in (202, 503), (quiz.text, reindex.text)  # never a 500
        server = processes.start_embedded_redis(port, tmp_path / "redis", persistent=True)
        notified = lambda event_type: Notification.objects.filter(user=user, event_type=event_type).count()  # noqa: E731
        if quiz.status_code == 202:
            quiz_id = quiz.json()["id"]
            wait_until(lambda: Quiz.objects.get(pk=quiz_id).status == Quiz.Status.READY, 90, lambda: Quiz.objects.get(pk=quiz_id).status)
            wait_until(lambda: notified("quiz.generated") >= 1, 30, "quiz.generated")
        else:
            assert not Quiz.objects.exists()  # refused whole
        if reindex.status_code == 202:
            job_id = reindex.json()["id"]
            wait_until(lambda: IndexJob.objects.get(pk=job_id).status == IndexJob.Status.COMPLETED, 90, lambda: IndexJob.objects.get(pk=job_id).status)
            wait_until(lambda: notified("indexing.completed") >= 2, 30, "the reindex's indexing.completed")
        time.sleep(1.5)  # a duplicate would come from the sweep (grace 1 s) or a re-delivered task
        assert notified("quiz.generated") == (1 if quiz.status_code == 202 else 0)
        assert notified("indexing.completed") == (2 if reindex.status_code == 202 else 1)
        for process in (daphne, worker, relay, *services):
            process.stop()  # now, not at the end of the session
        # The tasks were sent by the sweep once Redis was back: the outbox kept each request's
        # correlation id for the worker's log lines.
        worker_ids = {line.split('"correlation_id": "')[1].split('"')[0] for line in worker.log().splitlines() if '"correlation_id": "' in line}
        if quiz.status_code == 202:
            assert Quiz.objects.get(pk=quiz_id).correlation_id == "quiz-while-redis-is-down"
            assert "quiz-while-redis-is-down" in worker_ids, worker_ids
        if reindex.status_code == 202:
            assert IndexJob.objects.get(pk=job_id).correlation_id == "reindex-while-redis-is-down"
            assert "reindex-while-redis-is-down" in worker_ids, worker_ids
    finally:
        processes.stop(server)
