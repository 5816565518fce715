"""Scale-out, shown: two daphne processes, two workers, two notification services and two
indexing services on one Redis and one database. A socket on one daphne receives the events of
tasks run by either worker; killing a worker's running task and one service of each kind mid-burst
loses nothing and duplicates nothing."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from documents.models import Document
from indexing.models import IndexJob
from notifications.models import Notification
from studyai import processes

from .conftest import LiveProcess, start_worker, token_client, wait_until
from .notifications.wsclient import FeedClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

DOCUMENTS = 8


def test_two_of_everything_share_the_work_and_survive_losing_one_of_each(start_process: Callable[..., LiveProcess], user: Any) -> None:
    env = {"DOCUMENT_PAGE_DELAY_MS": "150"}  # slow enough that the kills land mid-burst
    daphnes = []
    for name in ("a", "b"):
        port = processes.free_port()
        daphnes.append(start_process(f"daphne-{name}", processes.daphne_command(port), port=port))
    workers = [start_worker(start_process, f"scale-worker-{name}", env=env) for name in ("a", "b")]
    services = {
        kind: [start_process(f"{kind}-{name}", processes.manage(command, "--name", f"{kind}-{name}")) for name in ("a", "b")]
        for kind, command in (("notifications", "run_notification_service"), ("indexing", "run_indexing_service"))
    }
    for daphne in daphnes:
        processes.wait_for_port(daphne.port, daphne.proc)  # type: ignore[arg-type]
    for pair in services.values():
        for service in pair:
            service.wait_for_log("consuming")
    token = Token.objects.get_or_create(user=user)[0].key
    feeds = [FeedClient(daphne.port, token) for daphne in daphnes]  # type: ignore[arg-type]
    for feed in feeds:
        feed.wait_for("unread_count")

    client = token_client(user)
    ids = []
    for number in range(DOCUMENTS):
        text = f"Document {number}. Osmosis moves water across a membrane.\n\n\f".encode() * 3
        response = client.post("/api/documents/", {"file": SimpleUploadedFile(f"notes-{number}.txt", text)}, format="multipart")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])

    wait_until(lambda: Document.objects.filter(pk__in=ids, status=Document.Status.PROCESSED).count() >= 2, 60, "the burst to start")
    workers[0].kill_pool_child()  # the task it runs is handed back to the queue
    services["notifications"][0].kill()
    services["indexing"][0].kill()

    def all_indexed() -> bool:
        return IndexJob.objects.filter(document_id__in=ids, status=IndexJob.Status.COMPLETED).count() == DOCUMENTS

    wait_until(all_indexed, 120, lambda: f"{list(IndexJob.objects.values_list('document_id', 'status'))}")
    wait_until(lambda: Notification.objects.filter(user=user, event_type="indexing.completed").count() >= DOCUMENTS, 60, "every indexing.completed stored")
    time.sleep(1.5)  # anything handled twice would show up now
    stored = Counter(Notification.objects.filter(user=user).values_list("event_type", flat=True))
    assert stored["document.processed"] == DOCUMENTS and stored["indexing.completed"] == DOCUMENTS, stored
    assert IndexJob.objects.filter(document_id__in=ids).count() == DOCUMENTS  # one job per document

    # A socket on each daphne heard every document's processed and indexed events, whichever
    # worker ran them.
    for feed in feeds:
        frames = feed.drain(quiet=1.0)
        # Live events (the fast path) or the stored notifications pushed after them (the durable
        # feed, which covers a live push the channel layer dropped).
        pushed = [f["event"] if f["type"] == "event" else f["notification"] for f in frames if f["type"] in ("event", "notification")]
        heard = {
            (p["event_type"], p["data"]["document_id"]) for p in pushed if p["event_type"] in ("document.processed", "indexing.completed")
        }
        assert heard == {(kind, document_id) for kind in ("document.processed", "indexing.completed") for document_id in ids}
        feed.close()
    ran_by = {w.name for w in workers if "documents.tasks.process_document" in w.log() and "succeeded" in w.log()}
    assert len(ran_by) == 2, "both workers ran documents"
    # Stopped here, not at the end of the session: later tests must not find these workers.
    for process in [*daphnes, *workers, *services["notifications"], *services["indexing"]]:
        process.stop()
