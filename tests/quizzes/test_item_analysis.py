"""Item analysis: the pure statistics on hand-made answer sets (share correct, option picks, the
discrimination index, the two flags and the minimum of attempts), then through the API (stats
recomputed with each submitted attempt, share_correct shown from the threshold on) and the
admin pages of flagged questions."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from quizzes.item_analysis import ItemChoice, ItemResponse, analyse, discrimination_index, recompute_quiz
from quizzes.models import Attempt, AttemptAnswer, Question, QuestionStats, Quiz

from .test_api import answer_key, ready_quiz  # noqa: F401 (the fixture)

KEY, B, C, D = 1, 2, 3, 4
CHOICES = [ItemChoice(KEY, "stroma", True), ItemChoice(B, "thylakoid", False), ItemChoice(C, "matrix", False), ItemChoice(D, "cytoplasm", False)]
MISLEADING = "nearly everyone gets it wrong, most picking 'thylakoid': the key may be wrong or the question misleading"
NEGATIVE = "strong students miss it more often than weak ones"


def picks(*choices: int | None, scores: Sequence[float] | None = None) -> list[ItemResponse]:
    """One response per pick (None: skipped), attempt i scoring scores[i] (default: i * 10)."""
    scores = scores if scores is not None else [i * 10.0 for i in range(len(choices))]
    return [ItemResponse(i, scores[i], choice == KEY, choice) for i, choice in enumerate(choices)]


def truths(*right: bool, scores: Sequence[float]) -> list[ItemResponse]:
    return [ItemResponse(i, scores[i], ok) for i, ok in enumerate(right)]


def test_nearly_everyone_picking_one_distractor_is_flagged() -> None:
    # 1 of 10 right, 7 picked "thylakoid"; the one right is the best attempt (no negative flag).
    stats = analyse(picks(B, B, C, B, B, C, B, B, B, KEY), CHOICES, min_attempts=5)
    assert (stats.answered, stats.correct, stats.share_correct) == (10, 1, 0.1)
    assert stats.choice_counts == {KEY: 1, B: 7, C: 2, D: 0}
    assert stats.discrimination == pytest.approx(1 / 3)
    assert stats.flagged and stats.flag_reason == MISLEADING


def test_a_hard_question_with_answers_spread_over_distractors_is_not_flagged() -> None:
    stats = analyse(picks(B, C, D, B, C, D, B, C, D, KEY), CHOICES, min_attempts=5)
    assert stats.share_correct == 0.1 and max(stats.choice_counts.values()) == 3
    assert not stats.flagged and stats.flag_reason == ""


def test_a_distractor_drawing_half_of_the_answers_counts_skips_among_all_answers() -> None:
    # 5 of 10 picked "thylakoid" (exactly half), 1 right, 4 skipped: still flagged.
    stats = analyse(picks(B, None, B, None, B, None, B, None, B, KEY), CHOICES, min_attempts=5)
    assert stats.answered == 10 and stats.choice_counts[B] == 5 and stats.flag_reason == MISLEADING
    # 4 of 10: not.
    assert not analyse(picks(B, None, B, None, B, None, B, None, C, KEY), CHOICES, min_attempts=5).flagged


def test_strong_students_missing_it_is_flagged() -> None:
    # True/false: the three best attempts miss it, the three weakest get it right.
    scores = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    responses = truths(True, True, True, False, True, False, True, False, False, False, scores=scores)
    stats = analyse(responses, min_attempts=5)
    assert (stats.answered, stats.correct, stats.share_correct, stats.choice_counts) == (10, 5, 0.5, {})
    assert stats.discrimination == -1.0
    assert stats.flagged and stats.flag_reason == NEGATIVE


def test_a_slightly_negative_index_is_not_flagged() -> None:
    # 40 attempts, groups of 11: the bottom all right, the top missing once: -0.09, above -0.1.
    right = [True] * 40
    right[-1] = False
    stats = analyse(truths(*right, scores=range(40)), min_attempts=5)
    assert stats.discrimination == pytest.approx(-1 / 11) and not stats.flagged
    assert discrimination_index(truths(*([True] * 12), scores=range(12))) == 0.0


def test_both_flags_are_given_with_both_reasons() -> None:
    # 1 of 10 right, the weakest; the rest mostly picked "thylakoid".
    stats = analyse(picks(KEY, B, B, B, B, B, B, C, C, D), CHOICES, min_attempts=5)
    assert stats.discrimination == pytest.approx(-1 / 3)
    assert stats.flag_reason == f"{MISLEADING}; {NEGATIVE}"


def test_nothing_is_flagged_on_too_few_answers() -> None:
    stats = analyse(picks(B, B, B, B), CHOICES, min_attempts=5)
    assert (stats.answered, stats.share_correct, stats.choice_counts[B]) == (4, 0.0, 4)
    assert stats.discrimination is None and not stats.flagged
    five = analyse(picks(B, B, B, B, B), CHOICES, min_attempts=5)
    assert five.flag_reason == MISLEADING
    assert five.discrimination is None  # 27% of 5 is 1 attempt: groups of 2 at least, or no index


def test_groups_of_two_need_six_answers() -> None:
    assert discrimination_index(truths(*([True] * 6), scores=range(6))) == 0.0  # round(1.62) = 2
    assert discrimination_index(truths(*([True] * 5), scores=range(5))) is None


def test_a_blank_question_counts_right_wrong_and_skipped_answers() -> None:
    # Fill in the blank: no options; a skip (None) is answered wrong, as graded.
    responses = [ItemResponse(1, 90, True), ItemResponse(2, 40, False), ItemResponse(3, 10, False, None), ItemResponse(4, 70, True)]
    stats = analyse(responses, min_attempts=5)
    assert (stats.answered, stats.correct, stats.share_correct, stats.choice_counts) == (4, 2, 0.5, {})
    assert not stats.flagged


def test_no_answers_no_share() -> None:
    stats = analyse([], CHOICES, min_attempts=5)
    assert (stats.answered, stats.share_correct, stats.discrimination, stats.flagged) == (0, None, None, False)
    assert stats.choice_counts == {KEY: 0, B: 0, C: 0, D: 0}


@pytest.mark.django_db
def test_share_correct_appears_from_the_threshold_and_flagged_questions_show_in_the_admin(
    api: APIClient, ready_quiz: dict[str, Any], admin_client: Client, settings: Any  # noqa: F811
) -> None:
    settings.ITEM_ANALYSIS_MIN_ATTEMPTS = 5
    quiz_id = ready_quiz["id"]
    key = answer_key(quiz_id)
    mc = next(q for q in ready_quiz["questions"] if q["type"] == "multiple_choice")
    distractor = next(o for o in mc["options"] if o["id"] != key[mc["id"]])
    # Every attempt answers all right but picks the same distractor for `mc`.
    answers = [{"question": q, "answer": distractor["id"] if q == mc["id"] else a} for q, a in key.items()]
    url = f"/api/quizzes/{quiz_id}/attempts/"
    for n in range(1, 6):
        assert api.post(url, {"answers": answers}, format="json").status_code == 201
        questions = {q["id"]: q for q in api.get(f"/api/quizzes/{quiz_id}/").json()["questions"]}
        if n < 5:
            assert all(q["share_correct"] is None and q["answered"] is None for q in questions.values()), n
    assert questions[mc["id"]]["share_correct"] == 0.0 and questions[mc["id"]]["answered"] == 5
    assert all(q["share_correct"] == 1.0 for i, q in questions.items() if i != mc["id"])

    stats = QuestionStats.objects.get(question_id=mc["id"])
    assert stats.choice_counts[str(distractor["id"])] == 5 and stats.correct == 0
    assert stats.flagged and stats.flag_reason.startswith(f"nearly everyone gets it wrong, most picking '{distractor['text']}'")
    assert QuestionStats.objects.filter(question__quiz_id=quiz_id, flagged=True).count() == 1
    assert Question.objects.filter(quiz_id=quiz_id, stats__answered=5).count() == len(key)

    flagged = admin_client.get("/admin/quizzes/question/?flagged=yes")
    assert flagged.status_code == 200
    body = flagged.content.decode()
    assert f"/admin/quizzes/question/{mc['id']}/change/" in body
    other = next(i for i in key if i != mc["id"])
    assert f"/admin/quizzes/question/{other}/change/" not in body
    assert f"/admin/quizzes/question/{other}/change/" in admin_client.get("/admin/quizzes/question/?flagged=no").content.decode()
    listed = admin_client.get("/admin/quizzes/questionstats/?flagged__exact=1")
    assert listed.status_code == 200 and "nearly everyone gets it wrong" in listed.content.decode()
    page = admin_client.get(f"/admin/quizzes/question/{mc['id']}/change/")
    assert page.status_code == 200
    assert "most picking" in page.content.decode() and f"{distractor['text']}: 5" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_both_count(user: Any, other_user: Any) -> None:
    """Two attempts committed side by side (PostgreSQL): each recomputes under the quiz lock, no
    deadlock, and the stats written last count both."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    quiz = Quiz.objects.create(
        owner=user, title="t", num_questions=1, question_types=["true_false"], difficulty="easy", seed=1, status=Quiz.Status.READY
    )
    question = Question.objects.create(
        quiz=quiz, position=1, type="true_false", prompt="The sky is blue.", answer="true", explanation="e",
        page_number=1, char_start=0, char_end=1, passage="p", evidence="e",
    )
    both_inserted = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def submit(who: Any, right: bool) -> None:
        try:
            with transaction.atomic():
                attempt = Attempt.objects.create(quiz=quiz, user=who, correct_count=int(right), question_count=1, score=100.0 * right)
                AttemptAnswer.objects.create(attempt=attempt, question=question, response=right, is_correct=right)
                both_inserted.wait()
                recompute_quiz(quiz.pk)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(who, right)) for who, right in ((user, True), (other_user, False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    stats = QuestionStats.objects.get(question=question)
    assert (stats.answered, stats.correct, stats.share_correct) == (2, 1, 0.5)
