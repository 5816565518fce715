"""A worker killed in the middle of a document: the task runs again, once. Its own module, so
no other worker is around to take the task."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from documents.models import DocumentPage

from ..conftest import LiveProcess, start_worker
from . import files
from .test_pipeline_live import stream_events, wait_for_status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_killed_worker_reruns_the_document_once(
    redis_client: redis.Redis, start_process: Callable[..., LiveProcess], user: Any
) -> None:
    # A slow worker (0.25 s a page) of its own, so the kill lands mid-document.
    worker = start_worker(start_process, "slow-worker", env={"DOCUMENT_PAGE_DELAY_MS": "250"})
    try:
        api = APIClient()
        api.force_authenticate(user)
        response = api.post("/api/documents/", {"file": SimpleUploadedFile("long.pdf", files.numbered_pdf(20))}, format="multipart")
        document_id = response.json()["id"]
        wait_for_status(document_id, {"processing"}, timeout=30)
        deadline = time.monotonic() + 30
        while not any(e["event_type"] == "task.status.update" and e["data"]["status"] == "processing" for e in stream_events(redis_client, document_id)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        worker.kill_pool_child()  # the process running the task dies mid-document

        document = wait_for_status(document_id, {"processed", "failed"}, timeout=90)
        assert document.status == "processed", document.failure_message
        assert DocumentPage.objects.filter(document=document).count() == 20
        types = [e["event_type"] for e in stream_events(redis_client, document_id)]
        assert types.count("document.processed") == 1
        assert types.count("document.processing") == 1
        assert types.count("document.failed") == 0
        assert "WorkerLostError" in worker.log() or "exited with 'signal 9" in worker.log()
    finally:
        worker.stop()
