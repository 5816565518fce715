"""The life of one quiz generation: the Quiz row is the durable state, and each change of state
publishes its quiz.* event in the same transaction (studyai.jobs.transition: an event is relayed
only once the state it announces is committed), with the quiz request's correlation id.

Idempotent: `begin` refuses a finished quiz, `complete` and `fail` write only while the quiz is
generating, under its row lock. A killed worker's task runs again from the start (nothing was
written before `complete`), with the same seed, so the quiz gets one set of questions and one
quiz.generated; quiz.generation.started is published once, by the first run.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Collection

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studyai.events.publisher import EventPublisher, get_publisher
from studyai.jobs import transition

from .generators.schema import Difficulty, GenerationResult, QuestionType, QuizSpec
from .models import Choice, DroppedQuestion, Question, Quiz

REASON_MAX_CHARS = 2000  # the quiz.generation.failed schema's limit
FINISHED = (Quiz.Status.READY, Quiz.Status.FAILED)


class QuizRun:
    def __init__(self, quiz: Quiz, document_ids: list[int], publisher: EventPublisher | None = None) -> None:
        self.quiz = quiz
        self.document_ids = document_ids
        self.publisher = publisher or get_publisher()
        config = settings.STUDYAI_QUIZZES
        self.interval = config["PROGRESS_INTERVAL_MS"] / 1000
        self.delay = config["QUESTION_DELAY_MS"] / 1000
        self._last_progress_at = -float("inf")
        self._latest: tuple[int, int] | None = None
        self._last_published: tuple[int, int] | None = None

    @classmethod
    def begin(cls, quiz_id: int, task_id: str = "", publisher: EventPublisher | None = None) -> "QuizRun | None":
        """Mark the quiz generating (publishing quiz.generation.started the first time); None
        when there is nothing to do: the quiz is gone or already finished."""
        publisher = publisher or get_publisher()
        document_ids: list[int] = []
        first = False

        def run(quiz: Quiz) -> None:
            nonlocal document_ids, first
            document_ids = sorted(quiz.documents.values_list("id", flat=True))
            first = quiz.status == Quiz.Status.PENDING
            if first:
                quiz.status = Quiz.Status.GENERATING
                quiz.started_at = timezone.now()
            quiz.runs += 1
            quiz.task_id = task_id or quiz.task_id
            quiz.questions_done = 0

        def announce(quiz: Quiz) -> None:
            if first and document_ids:
                publisher.publish_quiz_generation_started(
                    quiz.owner_id, quiz.pk, document_ids, quiz.num_questions, quiz.correlation_id
                )

        begun = transition(
            Quiz, quiz_id, change=run, publish=announce, finished=FINISHED,
            fields=["status", "started_at", "runs", "task_id", "questions_done"],
        )
        quiz = begun.applied
        return cls(quiz, document_ids, publisher) if quiz is not None else None

    @property
    def spec(self) -> QuizSpec:
        quiz = self.quiz
        return QuizSpec(
            num_questions=quiz.num_questions,
            question_types=tuple(QuestionType(t) for t in quiz.question_types),
            difficulty=Difficulty(quiz.difficulty),
            seed=quiz.seed,
        )

    def progress(self, done: int, total: int) -> None:
        """A question was made. Published at most every PROGRESS_INTERVAL_MS; `flush` sends
        the last one before the quiz is finished."""
        if self.delay:
            time.sleep(self.delay)  # QUIZ_QUESTION_DELAY_MS: slow generation down for crash tests
        self._latest = (done, total)
        now = time.monotonic()
        if now - self._last_progress_at >= self.interval:
            self._last_progress_at = now
            self._publish_progress(done, total)

    def flush(self) -> None:
        if self._latest is not None and self._latest != self._last_published:
            self._publish_progress(*self._latest)

    def _publish_progress(self, done: int, total: int) -> None:
        with transaction.atomic():
            Quiz.objects.filter(pk=self.quiz.pk, status=Quiz.Status.GENERATING).update(questions_done=done)
            self.publisher.publish_quiz_generation_progress(self.quiz.owner_id, self.quiz.pk, done, total, self.quiz.correlation_id)
        self._last_published = (done, total)

    def complete(self, result: GenerationResult) -> bool:
        """Store the questions and mark the quiz ready, in one transaction; False (nothing
        written) when another run finished the quiz first or it was deleted."""
        self.flush()

        def store(quiz: Quiz) -> None:
            _store(quiz, result)
            quiz.status = Quiz.Status.READY
            quiz.generator = result.generator
            quiz.notes = result.notes
            quiz.shortfall_reason = result.shortfall_reason
            quiz.questions_done = len(result.questions)
            quiz.finished_at = timezone.now()

        def announce(quiz: Quiz) -> None:
            self.publisher.publish_quiz_generated(quiz.owner_id, quiz.pk, len(result.questions), quiz.correlation_id)

        return self._transition(store, announce, allowed={Quiz.Status.GENERATING})

    def fail(self, reason: str, result: GenerationResult | None = None) -> bool:
        """Mark the quiz failed with `reason` and publish quiz.generation.failed (once)."""
        reason = (reason.strip() or "The quiz could not be generated.")[:REASON_MAX_CHARS]

        def record(quiz: Quiz) -> None:
            if result is not None:
                _store_dropped(quiz, result)
                quiz.notes = result.notes
            quiz.status = Quiz.Status.FAILED
            quiz.failure_reason = reason
            quiz.finished_at = timezone.now()

        def announce(quiz: Quiz) -> None:
            self.publisher.publish_quiz_generation_failed(quiz.owner_id, quiz.pk, reason, quiz.correlation_id)

        return self._transition(record, announce, finished=FINISHED)

    def _transition(
        self, change: Callable[[Quiz], object], publish: Callable[[Quiz], object], *,
        allowed: Collection[str] | None = None, finished: Collection[str] = (),
    ) -> bool:
        done = transition(Quiz, self.quiz.pk, change=change, publish=publish, allowed=allowed, finished=finished).applied
        self.quiz = done or self.quiz
        return done is not None


def _store(quiz: Quiz, result: GenerationResult) -> None:
    Question.objects.filter(quiz=quiz).delete()  # nothing there unless an admin added some: one set only
    questions = [
        Question(
            quiz=quiz,
            position=position,
            type=draft.type.value,
            prompt=draft.prompt,
            answer=draft.answer,
            accepted_answers=draft.accepted,
            explanation=draft.explanation,
            source=draft.source,
            chunk_id=draft.passage.chunk_id,
            document_id=draft.passage.document_id,
            page_number=draft.passage.page_number,
            char_start=draft.passage.char_start,
            char_end=draft.passage.char_end,
            passage=draft.passage.text,
            evidence=draft.evidence,
        )
        for position, draft in enumerate(result.questions, start=1)
    ]
    Question.objects.bulk_create(questions)
    if not all(q.pk for q in questions):  # backends that do not return ids from bulk inserts
        by_position = dict(Question.objects.filter(quiz=quiz).values_list("position", "pk"))
        for question in questions:
            question.pk = by_position[question.position]
    Choice.objects.bulk_create(
        [
            Choice(
                question_id=question.pk,
                position=index,
                text=option,
                is_correct=option == draft.answer,
                explanation=draft.option_explanations[index - 1] if draft.option_explanations else "",
            )
            for question, draft in zip(questions, result.questions)
            for index, option in enumerate(draft.options, start=1)
        ]
    )
    _store_dropped(quiz, result)


def _store_dropped(quiz: Quiz, result: GenerationResult) -> None:
    DroppedQuestion.objects.filter(quiz=quiz).delete()
    DroppedQuestion.objects.bulk_create(
        [
            DroppedQuestion(
                quiz=quiz,
                gate=dropped.gate,
                reason=dropped.reason,
                type=dropped.draft.type.value,
                prompt=dropped.draft.prompt,
                answer=dropped.draft.answer[:200],
                options=list(dropped.draft.options),
                source=dropped.draft.source,
                document_id=dropped.draft.passage.document_id,
                page_number=dropped.draft.passage.page_number,
                passage=dropped.draft.passage.text,
            )
            for dropped in result.dropped
        ]
    )
