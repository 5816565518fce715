"""Item analysis, as exam boards do it: what the submitted attempts say about each question.

Per question: how many attempts answered it, the share that got it right, for multiple choice how
often each option was picked, and the discrimination index (share correct among the top 27% of
attempts by score minus among the bottom 27%). A question is flagged, with the reason in words,
when nearly everyone misses it for one distractor (the key may be wrong) or when strong students
miss it more often than weak ones.

A skipped question counts as answered wrong, as the grading scores it: the share correct is then
the share of attempts that got it right, and the groups compare the same attempts.

`analyse` is a pure function of the answers; `recompute_quiz` reads a quiz's answers, runs it for
each question and saves `QuestionStats`."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .generators.schema import QuestionType
from .models import AttemptAnswer, Question, QuestionStats, Quiz

GROUP_SHARE = 0.27  # Kelley's upper and lower groups
MIN_GROUP = 2  # attempts in each group, or no discrimination index
HARD_SHARE = 0.2  # below it "nearly everyone gets it wrong"
DISTRACTOR_SHARE = 0.5  # a distractor drawing at least this share of all answers
NEGATIVE_DISCRIMINATION = -0.1


@dataclass(frozen=True)
class ItemChoice:
    id: int
    text: str
    is_correct: bool


@dataclass(frozen=True)
class ItemResponse:
    """One attempt's answer to the question."""

    attempt: int  # the attempt's id: breaks ties in score, so the groups do not depend on order
    attempt_score: float  # the whole attempt's score
    is_correct: bool
    choice: int | None = None  # the picked option's id (multiple choice), None for a skip or another type


@dataclass(frozen=True)
class ItemStats:
    answered: int
    correct: int
    share_correct: float | None
    choice_counts: dict[int, int] = field(default_factory=dict)
    discrimination: float | None = None
    flagged: bool = False
    flag_reason: str = ""


def analyse(responses: Sequence[ItemResponse], choices: Sequence[ItemChoice] = (), min_attempts: int = 5) -> ItemStats:
    """The statistics of one question from its answers; `choices` are its options (multiple
    choice only). Nothing is flagged on fewer than `min_attempts` answers."""
    answered = len(responses)
    correct = sum(r.is_correct for r in responses)
    share = correct / answered if answered else None
    counts = {choice.id: 0 for choice in choices}
    for response in responses:
        if response.choice in counts:
            counts[response.choice] += 1
    discrimination = discrimination_index(responses)
    reasons: list[str] = []
    if answered >= min_attempts and share is not None:
        distractors = [choice for choice in choices if not choice.is_correct]
        top = max(distractors, key=lambda choice: counts[choice.id], default=None)
        if share < HARD_SHARE and top is not None and counts[top.id] >= DISTRACTOR_SHARE * answered:
            reasons.append(
                f"nearly everyone gets it wrong, most picking '{top.text}': the key may be wrong or the question misleading"
            )
        if discrimination is not None and discrimination < NEGATIVE_DISCRIMINATION:
            reasons.append("strong students miss it more often than weak ones")
    return ItemStats(
        answered=answered,
        correct=correct,
        share_correct=share,
        choice_counts=counts,
        discrimination=discrimination,
        flagged=bool(reasons),
        flag_reason="; ".join(reasons),
    )


def discrimination_index(responses: Sequence[ItemResponse]) -> float | None:
    """Share correct in the top 27% of attempts by score minus in the bottom 27%; None when a
    group would have fewer than MIN_GROUP attempts."""
    size = round(GROUP_SHARE * len(responses))
    if size < MIN_GROUP:
        return None
    ranked = sorted(responses, key=lambda r: (r.attempt_score, r.attempt))
    bottom, top = ranked[:size], ranked[-size:]
    return sum(r.is_correct for r in top) / size - sum(r.is_correct for r in bottom) / size


def recompute_quiz(quiz_id: int) -> None:
    """Analyse every question of the quiz from all its submitted attempts and save the stats.

    Called in the transaction that records an attempt, so the stats commit with it (or not at
    all), with no second job to lose or reorder. The quiz row is locked first: concurrent
    submissions to one quiz recompute one after the other, each seeing the attempts committed
    before it, so the last write always counts every attempt. It reads the quiz's answers
    (attempts x questions rows), cheap at the scale of one user's quizzes."""
    min_attempts = settings.ITEM_ANALYSIS_MIN_ATTEMPTS
    with transaction.atomic():
        # NO KEY UPDATE (PostgreSQL) serialises the submissions just as well and, unlike UPDATE,
        # never waits on the KEY SHARE lock a foreign-key check of another attempt takes.
        if not Quiz.objects.select_for_update(no_key=True).filter(pk=quiz_id).exists():
            return
        questions = list(Question.objects.filter(quiz_id=quiz_id).prefetch_related("choices"))
        responses: dict[int, list[ItemResponse]] = defaultdict(list)
        rows = AttemptAnswer.objects.filter(question__quiz_id=quiz_id).values_list(
            "question_id", "attempt_id", "attempt__score", "is_correct", "response"
        )
        for question_id, attempt_id, score, is_correct, response in rows:
            picked = response if isinstance(response, int) and not isinstance(response, bool) else None
            responses[question_id].append(ItemResponse(attempt_id, score, is_correct, picked))
        now = timezone.now()
        rows_out = []
        for question in questions:
            choices = (
                [ItemChoice(c.pk, c.text, c.is_correct) for c in question.choices.all()]
                if question.type == QuestionType.MULTIPLE_CHOICE
                else []
            )
            stats = analyse(responses[question.pk], choices, min_attempts)
            rows_out.append(
                QuestionStats(
                    question=question,
                    answered=stats.answered,
                    correct=stats.correct,
                    share_correct=stats.share_correct,
                    choice_counts={str(k): v for k, v in stats.choice_counts.items()},  # JSON keys are strings
                    discrimination=stats.discrimination,
                    flagged=stats.flagged,
                    flag_reason=stats.flag_reason,
                    updated_at=now,
                )
            )
        QuestionStats.objects.bulk_create(
            rows_out,
            update_conflicts=True,
            unique_fields=["question"],
            update_fields=["answered", "correct", "share_correct", "choice_counts", "discrimination", "flagged", "flag_reason", "updated_at"],
        )
