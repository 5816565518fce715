"""A worker killed for good (SIGKILL, no restart): the watchdog says the upload's job is queued
with no worker for document_queue, and leaves it queued; a new worker then runs it."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Document
from studyai import processes

from .conftest import LiveProcess, start_worker, token_client, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_a_killed_worker_leaves_the_job_queued_and_reported(start_process: Callable[..., LiveProcess], live_env: dict[str, str], user: Any) -> None:
    worker = start_worker(start_process, "doomed-worker")
    worker.kill()  # for good
    response = token_client(user).post("/api/documents/", {"file": SimpleUploadedFile("notes.txt", b"Osmosis moves water across membranes. " * 20)}, format="multipart")
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    time.sleep(1.5)
    env = {**live_env, "WATCHDOG_QUEUED_SECONDS": "1"}
    out = subprocess.run(processes.manage("run_watchdog", "--once"), env=env, capture_output=True, text=True, timeout=60, cwd=processes.BASE_DIR)
    assert f"document {document_id}: queued, no worker consumes document_queue" in out.stdout, out.stdout + out.stderr
    assert Document.objects.get(pk=document_id).status == Document.Status.UPLOADED  # queued, not failed

    worker.stop()
    replacement = start_worker(start_process, "replacement-worker")  # the queue kept the task: it runs now
    wait_until(lambda: Document.objects.get(pk=document_id).status == Document.Status.PROCESSED, 60, "the new worker to process it")
    replacement.stop()
