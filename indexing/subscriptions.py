"""What indexing reacts to, in one place (as paperless-ngx's apps.py lists its signal handlers):

- the event `document.processed` (its own consumer group on the event stream): index the
  generation of the document that was processed. The documents app knows nothing of indexing;
  any number of indexing services share the work through the group.
- Django's `pre_delete` of a Document: its chunks go first, under the lock an indexing run takes
  to write, so a run finishing at that moment cannot leave chunks behind a deleted document.

The handler only queues `index_document`, which is idempotent: an event delivered twice (a
consumer that died before acknowledging) queues a second run that finds the job done.
"""
from __future__ import annotations

import logging
from typing import Any

from django.db.models.signals import pre_delete

from documents.models import Document
from studyai.dispatch import dispatch
from studyai.events.consumer import EventConsumer, with_fresh_connection
from studyai.events.types import Event, EventType

from .search import remove_document
from .tasks import index_document

log = logging.getLogger(__name__)
CONSUMER_GROUP = "indexing-service"
EVENTS = {EventType.DOCUMENT_PROCESSED}


def on_document_processed(event: Event) -> None:
    generation = getattr(event.data, "generation", None)
    if generation is None:  # version 1 does not say: the document's current generation
        generation = Document.objects.filter(pk=event.document_id).values_list("generation", flat=True).first()
        if generation is None:
            log.info("document %s was deleted before it could be indexed", event.document_id)
            return
    task_id = dispatch(index_document, event.document_id, generation)  # kept in the outbox while the broker is away
    log.info("document %s generation %s processed: indexing queued (task %s)", event.document_id, generation, task_id)


def build_consumer(**options: Any) -> EventConsumer:
    consumer = EventConsumer(group=CONSUMER_GROUP, **options)
    consumer.subscribe(with_fresh_connection(on_document_processed), EVENTS)
    return consumer


def remove_chunks(sender: type[Document], instance: Document, **_: Any) -> None:
    remove_document(instance.pk)


def connect_signals() -> None:
    pre_delete.connect(remove_chunks, sender=Document, dispatch_uid="indexing.remove_chunks")
