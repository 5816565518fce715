"""One valid `data` for every event type (the schema tests check this covers all of them)."""
from __future__ import annotations

from typing import Any

from studyai.events.types import EventType

VALID_DATA: dict[EventType, dict[str, Any]] = {
    EventType.DOCUMENT_UPLOADED: {"document_id": 4, "filename": "notes.pdf", "file_size": 1024, "content_type": "application/pdf"},
    EventType.DOCUMENT_PROCESSING: {"document_id": 4, "filename": "notes.pdf"},
    EventType.DOCUMENT_PROCESSED: {"document_id": 4, "page_count": 12, "word_count": 3400, "generation": 1},
    EventType.DOCUMENT_FAILED: {"document_id": 4, "reason_code": "encrypted", "reason": "The PDF is password-protected."},
    EventType.INDEXING_STARTED: {"document_id": 4, "job_id": 9},
    EventType.INDEXING_PROGRESS: {"document_id": 4, "job_id": 9, "current": 10, "total": 40},
    EventType.INDEXING_COMPLETED: {"document_id": 4, "job_id": 9, "chunk_count": 40},
    EventType.INDEXING_FAILED: {"document_id": 4, "job_id": 9, "reason": "database unavailable"},
    EventType.QUIZ_GENERATION_STARTED: {"quiz_id": 3, "document_ids": [4, 5], "num_questions": 10},
    EventType.QUIZ_GENERATION_PROGRESS: {"quiz_id": 3, "current": 4, "total": 10},
    EventType.QUIZ_GENERATED: {"quiz_id": 3, "question_count": 10},
    EventType.QUIZ_GENERATION_FAILED: {"quiz_id": 3, "reason": "not enough text"},
    EventType.TASK_STATUS_UPDATE: {
        "task_id": "doc_process_4", "task_type": "document_processing", "status": "processing", "progress": 50, "message": "Processing...",
    },
    EventType.USER_NOTIFICATION: {"title": "Welcome", "message": "Upload a document to start.", "level": "info"},
}
