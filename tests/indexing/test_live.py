"""Indexing for real: a Celery worker process, daphne, Redis and a WebSocket client."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from indexing.chunking import split_pages
from indexing.conf import indexing_settings
from indexing.models import Chunk, IndexJob
from indexing.tasks import index_document

from ..conftest import LiveProcess, start_worker
from ..notifications.wsclient import FeedClient
from .conftest import make_document
from .corpus import filler

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

CHUNK_DELAY_MS = 15


@pytest.fixture(scope="module")
def worker(start_process: Callable[..., LiveProcess]) -> Iterator[LiveProcess]:
    """A worker of this module's own: slowed down per chunk, so a job takes long enough to be
    watched and killed, and keyword-only (the semantic model would take seconds to load)."""
    env = {"INDEXING_CHUNK_DELAY_MS": str(CHUNK_DELAY_MS), "SEMANTIC_SEARCH": "off"}
    live = start_worker(start_process, "indexing-worker", env=env)
    yield live
    live.stop()


def stream_events(client: redis.Redis, document_id: int) -> list[dict[str, Any]]:
    events = [json.loads(fields["event"]) for _id, fields in client.xrange("study_ai_events")]  # type: ignore[union-attr,index]
    return [e for e in events if e["event_type"].startswith("indexing.") and e["data"]["document_id"] == document_id]


def wait_for_job(document_id: int, done: Callable[[IndexJob], bool], timeout: float = 60.0) -> IndexJob:
    deadline = time.monotonic() + timeout
    while True:
        job = IndexJob.objects.filter(document_id=document_id).order_by("-id").first()
        if job is not None and done(job):
            return job
        assert time.monotonic() < deadline, f"index job of document {document_id}: {job and job.status}"
        time.sleep(0.02)


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_indexing_events_reach_the_websocket_in_order(
    redis_client: redis.Redis, daphne_proc: LiveProcess, worker: LiveProcess, user: Any, api_for: Callable[[Any], APIClient]
) -> None:
    document = make_document(user, "Live", [filler(i, 200) for i in range(20)])  # ~40 chunks, ~0.6 s
    client_api = api_for(user)
    feed = FeedClient(daphne_proc.port, Token.objects.get(user=user).key)  # type: ignore[arg-type]
    feed.wait_for("unread_count")
    response = client_api.post(f"/api/documents/{document.pk}/reindex/")
    assert response.status_code == 202
    job_id = response.json()["id"]

    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while not events or events[-1]["event_type"] != "indexing.completed":
        assert time.monotonic() < deadline, [e["event_type"] for e in events]
        frame = feed.next_frame(timeout=30)
        if frame["type"] == "event" and frame["event"]["event_type"].startswith("indexing."):
            events.append(frame["event"])
    feed.close()

    kinds = [e["event_type"] for e in events]
    assert kinds[0] == "indexing.started" and kinds[-1] == "indexing.completed"
    assert set(kinds[1:-1]) == {"indexing.progress"} and len(kinds) >= 4, kinds
    progress = [(e["data"]["current"], e["data"]["total"]) for e in events[1:-1]]
    assert [c for c, _ in progress] == sorted(c for c, _ in progress)
    total = Chunk.objects.filter(document=document).count()
    assert progress[-1] == (total, total)
    assert {e["data"]["job_id"] for e in events} == {job_id}
    assert events[-1]["data"]["chunk_count"] == total
    assert IndexJob.objects.get(pk=job_id).status == "completed"


def test_a_job_whose_worker_is_killed_runs_again_without_duplicates(
    redis_client: redis.Redis, worker: LiveProcess, user: Any
) -> None:
    pages = [filler(1000 + i, 300) for i in range(40)]  # ~150 chunks: over 2 s at the worker's pace
    document = make_document(user, "Long", pages)
    index_document.delay(document.pk, document.generation)
    job = wait_for_job(document.pk, lambda j: j.status == "running" and j.chunks_done > 0, timeout=30)
    assert job.chunks_done < job.chunks_total / 2, "the kill must land mid-job"
    worker.kill_pool_child()  # the process running the task dies, no cleanup

    try:
        job = wait_for_job(document.pk, lambda j: j.status in ("completed", "failed"), timeout=60)
    except AssertionError as error:  # seen once in a full run: keep what the worker said for the next time
        raise AssertionError(f"{error}\n--- worker log ---\n{worker.log()[-6000:]}") from None
    assert job.status == "completed" and job.attempts == 2, (job.status, job.attempts, job.error)
    config = indexing_settings()  # the worker's too: the same environment
    expected = split_pages(enumerate(pages, 1), config.chunk_size, config.chunk_overlap)
    chunks = list(Chunk.objects.filter(document=document).order_by("ordinal"))
    assert [(c.page_number, c.char_start, c.char_end) for c in chunks] == [
        (s.page_number, s.char_start, s.char_end) for s in expected
    ]
    assert len({c.key for c in chunks}) == len(chunks)
    kinds = [e["event_type"] for e in stream_events(redis_client, document.pk)]
    assert kinds.count("indexing.started") == 2 and kinds.count("indexing.completed") == 1
    assert "indexing.failed" not in kinds
    assert "WorkerLostError" in worker.log() or "signal 9" in worker.log()


def test_an_uploaded_document_becomes_searchable(worker: LiveProcess, indexing_service: LiveProcess, user: Any) -> None:
    client = api(user)
    text = b"Lecture 4. The Calvin cycle fixes carbon dioxide into sugar in the stroma.\n\n" + filler(7).encode()
    response = client.post("/api/documents/", {"file": SimpleUploadedFile("lecture.txt", text, "text/plain")}, format="multipart")
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    job = wait_for_job(document_id, lambda j: j.status in ("completed", "failed"))
    assert job.status == "completed" and job.trigger == "pipeline", job.error
    hit = client.get("/api/search/", {"q": "calvin cycle"}).json()["results"][0]
    assert hit["document"]["id"] == document_id and hit["page"] == 1
    assert "<mark>Calvin</mark>" in hit["snippet"]
