"""A worker killed in the middle of a quiz: the task is delivered again and the re-run makes one
quiz (one set of questions, one quiz.generated). Its own module, so that its slow worker is the
only one consuming quiz_queue."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
import redis

from documents.models import Document
from quizzes.models import Question, Quiz

from ..conftest import LiveProcess, start_worker
from ..conftest import token_client

Stream = list[tuple[str, dict[str, str]]]  # what XRANGE returns with decode_responses
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def quiz_events(client: redis.Redis, quiz_id: int) -> list[str]:
    events = [json.loads(fields["event"]) for _id, fields in cast(Stream, client.xrange("study_ai_events"))]
    return [e["event_type"] for e in events if e["event_type"].startswith("quiz.") and e["data"]["quiz_id"] == quiz_id]


def test_killed_worker_reruns_the_quiz_into_one_quiz(
    redis_client: redis.Redis, start_process: Callable[..., LiveProcess], user: Any, make_document: Callable[..., Document]
) -> None:
    # 0.3 s a question: a 10-question quiz takes 3 s, so the kill lands mid-generation.
    worker = start_worker(start_process, "slow-quiz-worker", env={"QUIZ_QUESTION_DELAY_MS": "300"})
    try:
        document = make_document()
        response = token_client(user).post("/api/quizzes/", {"document_ids": [document.pk], "num_questions": 10, "seed": 5}, format="json")
        quiz_id = response.json()["id"]
        deadline = time.monotonic() + 30
        while "quiz.generation.progress" not in quiz_events(redis_client, quiz_id):
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.05)
        worker.kill_pool_child()  # the process generating the quiz dies

        deadline = time.monotonic() + 60
        while Quiz.objects.get(pk=quiz_id).status not in ("ready", "failed"):
            assert time.monotonic() < deadline, "the quiz was not generated again"
            time.sleep(0.1)
        quiz = Quiz.objects.get(pk=quiz_id)
        assert quiz.status == "ready", quiz.failure_reason
        assert quiz.runs == 2
        assert Question.objects.filter(quiz=quiz).count() == 10
        assert list(Question.objects.filter(quiz=quiz).values_list("position", flat=True)) == list(range(1, 11))
        time.sleep(0.5)  # anything a third run would publish
        types = quiz_events(redis_client, quiz_id)
        assert types.count("quiz.generation.started") == 1
        assert types.count("quiz.generated") == 1
        assert types.count("quiz.generation.failed") == 0
        assert "WorkerLostError" in worker.log() or "exited with 'signal 9" in worker.log()
    finally:
        worker.stop()
