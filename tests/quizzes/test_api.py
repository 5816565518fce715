"""The quizzes API: creating (202, validation, documents that are not yours or not ready),
reading without answers, attempts and their grading, and isolation between users."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from documents.models import Document
from indexing.models import IndexJob
from quizzes.models import Attempt, Quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_quiz(api: APIClient, make_document: Callable[..., Document], eager_celery: None, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    document = make_document()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/quizzes/", {"document_ids": [document.pk], "num_questions": 12, "seed": 7}, format="json")
    assert response.status_code == 202, response.json()
    return api.get(f"/api/quizzes/{response.json()['id']}/").json()


def answer_key(quiz_id: int) -> dict[int, Any]:
    """The right answer to each question, as a client would send it."""
    key: dict[int, Any] = {}
    for question in Quiz.objects.get(pk=quiz_id).questions.prefetch_related("choices"):
        if question.type == "multiple_choice":
            key[question.pk] = next(c.pk for c in question.choices.all() if c.is_correct)
        elif question.type == "true_false":
            key[question.pk] = question.answer == "true"
        else:
            key[question.pk] = question.answer
    return key


def test_create_returns_202_and_generation_runs_in_the_background(
    api: APIClient, make_document: Callable[..., Document], eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/quizzes/",
            {"document_ids": [document.pk], "num_questions": 5, "question_types": ["true_false", "multiple_choice"], "difficulty": "hard"},
            format="json",
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["questions"] == [] and body["document_ids"] == [document.pk]
    assert response["Location"] == f"/api/quizzes/{body['id']}/"
    quiz = api.get(f"/api/quizzes/{body['id']}/").json()
    assert quiz["status"] == "ready" and quiz["question_count"] == 5 and quiz["generator"] == "offline"
    assert {q["type"] for q in quiz["questions"]} == {"true_false", "multiple_choice"}


def test_questions_are_shown_without_answers_but_with_their_citation(ready_quiz: dict[str, Any]) -> None:
    assert len(ready_quiz["questions"]) == 12
    for question in ready_quiz["questions"]:
        assert set(question) == {"id", "position", "type", "prompt", "options", "citation", "share_correct", "answered"}
        assert set(question["citation"]) == {"document", "page", "char_start", "char_end", "passage"}
        assert question["share_correct"] is None and question["answered"] is None  # no attempts yet
        for option in question["options"]:
            assert set(option) == {"id", "text"}  # no is_correct, no explanation


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"num_questions": 0}, "num_questions"),
        ({"num_questions": 51}, "num_questions"),
        ({"question_types": ["essay"]}, "question_types"),
        ({"question_types": []}, "question_types"),
        ({"difficulty": "impossible"}, "difficulty"),
        ({"document_ids": []}, "document_ids"),
        ({"document_ids": "1"}, "document_ids"),
        ({"seed": -1}, "seed"),
    ],
)
def test_invalid_requests_are_400_naming_the_field(api: APIClient, make_document: Callable[..., Document], payload: dict[str, Any], field: str) -> None:
    document = make_document()
    response = api.post("/api/quizzes/", {"document_ids": [document.pk], **payload}, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


def test_another_users_document_is_not_found_like_a_missing_one(
    api: APIClient, make_document: Callable[..., Document], other_user: Any
) -> None:
    theirs = make_document(owner=other_user)
    response = api.post("/api/quizzes/", {"document_ids": [theirs.pk, 999999]}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == f"document_ids: Document(s) {theirs.pk}, 999999 not found."
    assert not Quiz.objects.exists()


@pytest.mark.parametrize("status", [Document.Status.UPLOADED, Document.Status.PROCESSING, Document.Status.FAILED])
def test_a_document_that_is_not_processed_is_a_409(api: APIClient, make_document: Callable[..., Document], status: str) -> None:
    document = make_document(status=status)
    response = api.post("/api/quizzes/", {"document_ids": [document.pk]}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "document_not_ready"
    assert body["message"] == f"Document {document.pk} is {status}: quizzes are made from processed documents only."


def test_a_document_still_being_indexed_is_a_409(api: APIClient, make_document: Callable[..., Document]) -> None:
    document = make_document(pages=[])
    IndexJob.objects.create(document=document, generation=document.generation, trigger="pipeline", status="running")
    response = api.post("/api/quizzes/", {"document_ids": [document.pk]}, format="json")
    assert response.status_code == 409 and response.json()["error"] == "document_not_indexed"


def test_list_paginates_and_shows_only_your_quizzes(api: APIClient, other_api: APIClient, ready_quiz: dict[str, Any]) -> None:
    mine = api.get("/api/quizzes/").json()
    assert mine["count"] == 1 and mine["results"][0]["id"] == ready_quiz["id"]
    assert "questions" not in mine["results"][0]
    assert other_api.get("/api/quizzes/").json()["count"] == 0
    assert other_api.get(f"/api/quizzes/{ready_quiz['id']}/").status_code == 404
    assert other_api.get(f"/api/quizzes/{ready_quiz['id']}/attempts/").status_code == 404
    assert other_api.post(f"/api/quizzes/{ready_quiz['id']}/attempts/", {"answers": []}, format="json").status_code == 404
    assert other_api.delete(f"/api/quizzes/{ready_quiz['id']}/").status_code == 404


def test_a_perfect_attempt_is_graded_with_answers_explanations_and_citations(api: APIClient, ready_quiz: dict[str, Any]) -> None:
    key = answer_key(ready_quiz["id"])
    answers = [{"question": q, "answer": a} for q, a in key.items()]
    response = api.post(f"/api/quizzes/{ready_quiz['id']}/attempts/", {"answers": answers}, format="json")
    assert response.status_code == 201
    attempt = response.json()
    assert attempt["score"] == 100.0 and attempt["correct_count"] == attempt["question_count"] == 12
    for result in attempt["results"]:
        assert result["correct"] is True
        assert result["correct_answer"] and result["explanation"]
        assert result["citation"]["passage"] and result["citation"]["page"] >= 1
        if result["type"] == "multiple_choice":
            assert result["correct_choice"] == key[result["question"]]


def test_lenient_text_answers_and_wrong_ones(api: APIClient, ready_quiz: dict[str, Any]) -> None:
    key = answer_key(ready_quiz["id"])
    questions = {q["id"]: q for q in ready_quiz["questions"]}
    answers = []
    for question_id, right in key.items():
        kind = questions[question_id]["type"]
        if kind in ("fill_in_the_blank", "short_answer"):
            answers.append({"question": question_id, "answer": f"  THE {right.upper()}!! "})
        elif kind == "true_false":
            answers.append({"question": question_id, "answer": not right})
        else:
            answers.append({"question": question_id, "answer": None})  # skipped
    attempt = api.post(f"/api/quizzes/{ready_quiz['id']}/attempts/", {"answers": answers}, format="json").json()
    for result in attempt["results"]:
        assert result["correct"] is (result["type"] in ("fill_in_the_blank", "short_answer"))
    typed = sum(q["type"] in ("fill_in_the_blank", "short_answer") for q in questions.values())
    assert attempt["correct_count"] == typed


def test_malformed_answers_are_400_naming_each_problem(api: APIClient, ready_quiz: dict[str, Any]) -> None:
    url = f"/api/quizzes/{ready_quiz['id']}/attempts/"
    questions = ready_quiz["questions"]
    mc = next(q for q in questions if q["type"] == "multiple_choice")
    tf = next(q for q in questions if q["type"] == "true_false")
    cases = [
        ({}, '"answers" must be a list'),
        ({"answers": {"1": "x"}}, '"answers" must be a list'),
        ({"answers": [{"question": 424242, "answer": "x"}]}, "question 424242 is not a question of this quiz"),
        ({"answers": [{"question": mc["id"], "answer": "Krebs"}]}, f"question {mc['id']} is multiple choice: answer with the id of one of its choices"),
        ({"answers": [{"question": tf["id"], "answer": "maybe"}]}, f"question {tf['id']} is true/false"),
        ({"answers": [{"question": tf["id"], "answer": True}, {"question": tf["id"], "answer": False}]}, "answered twice"),
        ({"answers": [{"question": tf["id"]}]}, 'exactly "question" and "answer"'),
        ({"answers": [{"question": tf["id"], "answer": True}]}, "are not answered (send null to skip one)"),
    ]
    for payload, message in cases:
        response = api.post(url, payload, format="json")
        assert response.status_code == 400, payload
        body = response.json()
        assert body["error"] == "invalid" and message in " ".join(body["detail"]["answers"]), (payload, body)
        assert body["message"].startswith("answers: ")
    assert not Attempt.objects.exists()


def test_a_quiz_that_is_not_ready_cannot_be_attempted(api: APIClient, make_document: Callable[..., Document], user: Any) -> None:
    quiz = Quiz.objects.create(owner=user, title="q", num_questions=3, question_types=["true_false"], difficulty="easy", seed=1)
    response = api.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": []}, format="json")
    assert response.status_code == 409 and response.json()["error"] == "quiz_not_ready"


def test_attempts_are_kept_and_listed(api: APIClient, ready_quiz: dict[str, Any]) -> None:
    url = f"/api/quizzes/{ready_quiz['id']}/attempts/"
    skip_all = [{"question": q["id"], "answer": None} for q in ready_quiz["questions"]]
    first = api.post(url, {"answers": skip_all}, format="json").json()
    assert first["score"] == 0.0
    right = [{"question": q, "answer": a} for q, a in answer_key(ready_quiz["id"]).items()]
    second = api.post(url, {"answers": right}, format="json").json()
    listed = api.get(url).json()
    assert listed["count"] == 2
    assert [a["id"] for a in listed["results"]] == [second["id"], first["id"]]
    assert listed["results"][0]["results"][0]["citation"]["passage"]


def test_delete_removes_the_quiz(api: APIClient, ready_quiz: dict[str, Any]) -> None:
    assert api.delete(f"/api/quizzes/{ready_quiz['id']}/").status_code == 204
    assert not Quiz.objects.exists()


def test_anonymous_requests_are_refused() -> None:
    assert APIClient().get("/api/quizzes/").status_code == 401
