"""What the quizzes app reacts to, in one place (as indexing/subscriptions.py):

- the event `indexing.completed` (its own consumer group, `quiz-service`, on the event stream):
  queue `prepare_key_terms` on quiz_queue, which computes the document's key terms from its new
  chunks and keeps them (DocumentTerms). So a document's first quiz does not wait for them: they
  cost more than generating ten questions (docs/benchmarks.md §5). Best effort: a quiz asked for
  before they are ready, or with the service not running, computes them itself, as before.

The handler only queues the task, which is idempotent: an event delivered twice finds the terms
kept and does nothing.
"""
from __future__ import annotations

import logging
from typing import Any

from studyai.dispatch import dispatch
from studyai.events.consumer import EventConsumer, with_fresh_connection
from studyai.events.types import Event, EventType

from .tasks import prepare_key_terms

log = logging.getLogger(__name__)
CONSUMER_GROUP = "quiz-service"
EVENTS = {EventType.INDEXING_COMPLETED}


def on_indexing_completed(event: Event) -> None:
    task_id = dispatch(prepare_key_terms, event.document_id)  # kept in the outbox while the broker is away
    log.info("document %s indexed: its key terms queued (task %s)", event.document_id, task_id)


def build_consumer(**options: Any) -> EventConsumer:
    consumer = EventConsumer(group=CONSUMER_GROUP, **options)
    consumer.subscribe(with_fresh_connection(on_indexing_completed), EVENTS)
    return consumer
