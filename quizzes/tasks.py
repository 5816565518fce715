"""Quiz generation on quiz_queue (routed by module in settings.CELERY_TASK_ROUTES)."""
from __future__ import annotations

import logging
from typing import Any

from studyai.celery import TRANSIENT_ERRORS, quiz_task
from studyai.dispatch import dispatch

from .generators import generate
from .generators.llm import configured_provider
from .models import Quiz
from .runs import QuizRun
from .sources import load_material, prepare_terms

log = logging.getLogger(__name__)


def enqueue_generation(quiz: Quiz) -> None:
    """Start generating once the current transaction commits (the worker must see the row),
    durably: a broker that is down delays it, never loses it (studyai/dispatch.py)."""
    task_id = dispatch(generate_quiz, quiz.pk, correlation_id=quiz.correlation_id)
    Quiz.objects.filter(pk=quiz.pk, task_id="").update(task_id=task_id)


@quiz_task
def generate_quiz(self: Any, quiz_id: int) -> dict[str, Any] | None:
    """Generate the questions of a quiz. Idempotent (see quizzes.runs): a duplicate or
    re-delivered task finds the quiz finished and does nothing, or makes the same quiz again."""
    run = QuizRun.begin(quiz_id, task_id=self.request.id or "")
    if run is None:
        return None
    if not run.document_ids:
        run.fail("The documents of this quiz were deleted before it could be generated.")
        return {"quiz_id": quiz_id, "status": Quiz.Status.FAILED}
    try:
        material = load_material(run.document_ids)
        result = generate(material, run.spec, progress=run.progress, provider=configured_provider())
    except Exception as exc:
        if isinstance(exc, TRANSIENT_ERRORS) and self.request.retries < self.max_retries:
            raise  # StudyTask retries it with backoff; the quiz stays generating
        log.exception("generating quiz %s failed", quiz_id)
        run.fail(f"The quiz could not be generated because of an internal error ({type(exc).__name__}); it is logged for the developers.")
        raise
    for error in result.errors:
        log.warning("quiz %s: a candidate question was skipped: %s", quiz_id, error)
    if not result.questions:
        run.fail(result.shortfall_reason or "No question could be made from the material.", result)
        return {"quiz_id": quiz_id, "status": Quiz.Status.FAILED}
    run.complete(result)
    return {"quiz_id": quiz_id, "status": run.quiz.status, "question_count": len(result.questions)}


@quiz_task
def prepare_key_terms(self: Any, document_id: int) -> int | None:
    """Compute and keep a document's key terms ahead of its first quiz (quizzes.subscriptions).
    Idempotent: terms already kept for the document's current chunks are not computed again.
    Returns how many terms it has, or None when the document is gone or has no chunks."""
    return prepare_terms(document_id)
