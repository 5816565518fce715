"""Per-option explanations: stored from the generator's drafts, shown in a graded attempt for
every option of a multiple-choice question, never with the question before it is answered."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from documents.models import Document
from quizzes.generators.schema import GenerationResult, Passage, QuestionDraft, QuestionType
from quizzes.models import Choice, Quiz
from quizzes.runs import _store

pytestmark = pytest.mark.django_db

WHY = [
    "Right: page 1 says the Calvin cycle runs in the stroma.",
    "Wrong: the thylakoid membranes hold the light reactions.",
    "Wrong: the matrix is inside mitochondria, not chloroplasts.",
]


def stored_quiz(owner: Any, document: Document, option_explanations: list[str]) -> Quiz:
    """A ready quiz of one multiple-choice and one true/false question, stored by `_store`."""
    quiz = Quiz.objects.create(
        owner=owner, title="t", num_questions=2, question_types=["multiple_choice", "true_false"], difficulty="medium",
        seed=1, status=Quiz.Status.READY,
    )
    text = "The Calvin cycle takes place in the stroma of the chloroplast."
    passage = Passage(chunk_id=None, document_id=document.pk, page_number=1, char_start=0, char_end=len(text), text=text)
    common: dict[str, Any] = {"evidence": text, "passage": passage, "explanation": f'Page 1 says "{text}"'}
    result = GenerationResult(
        questions=[
            QuestionDraft(
                type=QuestionType.MULTIPLE_CHOICE, prompt="Where does the Calvin cycle take place?",
                options=["stroma", "thylakoid", "matrix"], answer="stroma", option_explanations=option_explanations, **common,
            ),
            QuestionDraft(type=QuestionType.TRUE_FALSE, prompt="The Calvin cycle takes place in the stroma.", answer="true", **common),
        ]
    )
    _store(quiz, result)
    return quiz


def test_store_keeps_each_options_explanation_in_order(user: Any, make_document: Callable[..., Document]) -> None:
    quiz = stored_quiz(user, make_document(), WHY)
    choices = Choice.objects.filter(question__quiz=quiz).order_by("position")
    assert [(c.text, c.is_correct, c.explanation) for c in choices] == [
        ("stroma", True, WHY[0]), ("thylakoid", False, WHY[1]), ("matrix", False, WHY[2]),
    ]
    bare = stored_quiz(user, make_document(), [])  # a draft without explanations: blank ones
    assert set(Choice.objects.filter(question__quiz=bare).values_list("explanation", flat=True)) == {""}


def test_explanations_show_after_grading_only(api: APIClient, user: Any, make_document: Callable[..., Document]) -> None:
    quiz = stored_quiz(user, make_document(), WHY)
    shown = api.get(f"/api/quizzes/{quiz.pk}/").json()
    assert "Wrong: the thylakoid" not in str(shown)  # not before the attempt is submitted
    mc, tf = shown["questions"]
    assert all(set(option) == {"id", "text"} for option in mc["options"])
    wrong = next(o["id"] for o in mc["options"] if o["text"] == "thylakoid")
    answers = [{"question": mc["id"], "answer": wrong}, {"question": tf["id"], "answer": True}]
    response = api.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": answers}, format="json")
    assert response.status_code == 201
    by_type = {r["type"]: r for r in response.json()["results"]}
    ids = {o["text"]: o["id"] for o in mc["options"]}
    assert by_type["multiple_choice"]["option_explanations"] == [
        {"choice": ids["stroma"], "text": "stroma", "correct": True, "explanation": WHY[0]},
        {"choice": ids["thylakoid"], "text": "thylakoid", "correct": False, "explanation": WHY[1]},
        {"choice": ids["matrix"], "text": "matrix", "correct": False, "explanation": WHY[2]},
    ]
    assert by_type["true_false"]["option_explanations"] == []
    listed = api.get(f"/api/quizzes/{quiz.pk}/attempts/").json()["results"][0]["results"]
    assert listed[0]["option_explanations"][1]["explanation"] == WHY[1]
