"""Which events become stored notifications, and the words a person reads for each."""
from __future__ import annotations

from studyai.events.types import (
    DocumentFailed,
    DocumentProcessed,
    Event,
    EventType,
    IndexingCompleted,
    IndexingFailed,
    QuizGenerated,
    QuizGenerationFailed,
    TaskStatusUpdate,
    UserNotification,
)


def should_store(event: Event) -> bool:
    """Terminal events and direct user notifications are kept; progress and "started" events
    are only pushed live, because the next event supersedes them and a client that missed them
    loses nothing (the REST API has the current state)."""
    return event.is_terminal or event.event_type == EventType.USER_NOTIFICATION


def describe(event: Event) -> tuple[str, str]:
    """(title, message) for a stored event."""
    data = event.data
    match data:
        case DocumentProcessed():
            return "Document processed", f"Document {data.document_id} is ready: {data.page_count} pages, {data.word_count} words."
        case DocumentFailed():
            return "Document failed", f"Document {data.document_id} could not be processed: {data.reason}"
        case IndexingCompleted():
            return "Document indexed", f"Document {data.document_id} is searchable ({data.chunk_count} passages)."
        case IndexingFailed():
            return "Indexing failed", f"Document {data.document_id} could not be indexed: {data.reason}"
        case QuizGenerated():
            return "Quiz ready", f"Quiz {data.quiz_id} is ready with {data.question_count} questions."
        case QuizGenerationFailed():
            return "Quiz failed", f"Quiz {data.quiz_id} could not be generated: {data.reason}"
        case TaskStatusUpdate():
            return f"Task {data.status.value}", data.message or f"{data.task_type} {data.status.value}"
        case UserNotification():
            return data.title, data.message
    return event.event_type.value, ""
