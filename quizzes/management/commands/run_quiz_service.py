"""Run the quiz service: it prepares each newly indexed document's key terms, so its first quiz is
quick (any number of instances share the work through one consumer group)."""
from __future__ import annotations

from quizzes.subscriptions import build_consumer
from studyai.events.service_command import EventServiceCommand


class Command(EventServiceCommand):
    help = "Consume indexing.completed events from the event stream and queue the documents' key terms."
    service = "quiz service"
    build_consumer = staticmethod(build_consumer)
