"""The generation task (eager here; tests/quizzes/test_live.py runs it on a real worker): its
quiz.* events, idempotent re-runs, failures with a reason, the key-term cache, the command and
the admin pages."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import pytest
import redis
from django.core.management import CommandError, call_command
from django.test import Client

from documents.models import Document
from indexing.models import Chunk
from quizzes.models import DocumentTerms, DroppedQuestion, Question, Quiz
from quizzes.tasks import generate_quiz

Stream = list[tuple[str, dict[str, str]]]  # what XRANGE returns with decode_responses
pytestmark = pytest.mark.django_db


def new_quiz(owner: Any, documents: list[Document], n: int = 8, types: list[str] | None = None, seed: int = 3) -> Quiz:
    quiz = Quiz.objects.create(
        owner=owner, title="t", num_questions=n, question_types=types or ["multiple_choice", "true_false", "fill_in_the_blank"],
        difficulty="medium", seed=seed,
    )
    quiz.documents.set(documents)
    return quiz


def quiz_events(client: redis.Redis, quiz: Quiz) -> list[dict[str, Any]]:
    events = [json.loads(fields["event"]) for _id, fields in cast(Stream, client.xrange("study_ai_events"))]
    return [e for e in events if e["event_type"].startswith("quiz.") and e["data"]["quiz_id"] == quiz.pk]


def run(quiz: Quiz, capture: Any) -> Any:
    with capture(execute=True):  # relays the events once each transaction commits
        return generate_quiz.apply((quiz.pk,)).get()


def test_events_started_progress_generated_in_order_with_one_correlation_id(
    user: Any, make_document: Callable[..., Document], redis_client: redis.Redis, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.STUDYAI_QUIZZES = {**settings.STUDYAI_QUIZZES, "PROGRESS_INTERVAL_MS": 0}
    document = make_document()
    quiz = new_quiz(user, [document])
    assert run(quiz, django_capture_on_commit_callbacks)["question_count"] == 8
    events = quiz_events(redis_client, quiz)
    types = [e["event_type"] for e in events]
    assert types == ["quiz.generation.started"] + ["quiz.generation.progress"] * 8 + ["quiz.generated"]
    assert events[0]["data"] == {"quiz_id": quiz.pk, "document_ids": [document.pk], "num_questions": 8}
    assert [e["data"]["current"] for e in events[1:-1]] == list(range(1, 9))
    assert events[-1]["data"] == {"quiz_id": quiz.pk, "question_count": 8}
    assert {e["user_id"] for e in events} == {user.pk}
    assert len({e["correlation_id"] for e in events}) == 1 and events[0]["correlation_id"]


def test_progress_is_throttled_but_the_last_step_always_sent(
    user: Any, make_document: Callable[..., Document], redis_client: redis.Redis, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.STUDYAI_QUIZZES = {**settings.STUDYAI_QUIZZES, "PROGRESS_INTERVAL_MS": 60_000}
    quiz = new_quiz(user, [make_document()], n=20)
    run(quiz, django_capture_on_commit_callbacks)
    progress = [e["data"] for e in quiz_events(redis_client, quiz) if e["event_type"] == "quiz.generation.progress"]
    assert progress == [{"quiz_id": quiz.pk, "current": 1, "total": 20}, {"quiz_id": quiz.pk, "current": 20, "total": 20}]


def test_a_rerun_makes_one_quiz_not_two(
    user: Any, make_document: Callable[..., Document], redis_client: redis.Redis, django_capture_on_commit_callbacks: Any
) -> None:
    quiz = new_quiz(user, [make_document()])
    run(quiz, django_capture_on_commit_callbacks)
    prompts = list(Question.objects.filter(quiz=quiz).values_list("prompt", flat=True))
    assert run(quiz, django_capture_on_commit_callbacks) is None  # finished: nothing to do
    assert list(Question.objects.filter(quiz=quiz).values_list("prompt", flat=True)) == prompts
    types = [e["event_type"] for e in quiz_events(redis_client, quiz)]
    assert types.count("quiz.generated") == 1 and types.count("quiz.generation.started") == 1


def test_a_run_killed_midway_is_redone_from_the_start(
    user: Any, make_document: Callable[..., Document], redis_client: redis.Redis, django_capture_on_commit_callbacks: Any
) -> None:
    quiz = new_quiz(user, [make_document()])
    Quiz.objects.filter(pk=quiz.pk).update(status=Quiz.Status.GENERATING, runs=1)  # as a killed worker leaves it
    run(quiz, django_capture_on_commit_callbacks)
    quiz.refresh_from_db()
    assert quiz.status == "ready" and quiz.runs == 2 and quiz.questions.count() == 8
    types = [e["event_type"] for e in quiz_events(redis_client, quiz)]
    assert "quiz.generation.started" not in types  # the first run sent it
    assert types.count("quiz.generated") == 1


def test_same_documents_and_seed_make_the_same_quiz(user: Any, make_document: Callable[..., Document], django_capture_on_commit_callbacks: Any) -> None:
    document = make_document()
    first, second = new_quiz(user, [document], seed=11), new_quiz(user, [document], seed=11)
    run(first, django_capture_on_commit_callbacks)
    run(second, django_capture_on_commit_callbacks)
    fields = ("type", "prompt", "answer", "page_number", "char_start")
    assert list(first.questions.values_list(*fields)) == list(second.questions.values_list(*fields))


def test_no_text_fails_with_the_reason(
    user: Any, make_document: Callable[..., Document], redis_client: redis.Redis, django_capture_on_commit_callbacks: Any
) -> None:
    quiz = new_quiz(user, [make_document(pages=["Chapter 1\n\nPage 1"])])
    run(quiz, django_capture_on_commit_callbacks)
    quiz.refresh_from_db()
    assert quiz.status == "failed" and "no complete sentence" in quiz.failure_reason
    events = quiz_events(redis_client, quiz)
    assert [e["event_type"] for e in events] == ["quiz.generation.started", "quiz.generation.failed"]
    assert events[-1]["data"]["reason"] == quiz.failure_reason


def test_too_little_text_makes_fewer_questions_and_says_why(user: Any, make_document: Callable[..., Document], django_capture_on_commit_callbacks: Any) -> None:
    pages = ["Mitochondria are the organelles where aerobic respiration takes place in every cell of the body."]
    quiz = new_quiz(user, [make_document(pages=pages)], n=10)
    run(quiz, django_capture_on_commit_callbacks)
    quiz.refresh_from_db()
    assert quiz.status == "ready" and 0 < quiz.questions.count() < 10
    assert "not 10" in quiz.shortfall_reason


def test_questions_cite_their_chunk_and_dropped_ones_keep_their_reason(user: Any, make_document: Callable[..., Document], django_capture_on_commit_callbacks: Any) -> None:
    document = make_document()
    quiz = new_quiz(user, [document], n=30, types=["multiple_choice", "true_false", "fill_in_the_blank", "short_answer"])
    run(quiz, django_capture_on_commit_callbacks)
    for question in quiz.questions.select_related("chunk"):
        assert question.chunk is not None and question.chunk.document_id == document.pk
        assert (question.page_number, question.char_start, question.char_end, question.passage) == (
            question.chunk.page_number, question.chunk.char_start, question.chunk.char_end, question.chunk.text,
        )
        page = document.pages.get(number=question.page_number).text
        assert page[question.char_start : question.char_end] == question.passage
        if question.type == "multiple_choice":
            assert question.choices.filter(is_correct=True).count() == 1
    for dropped in DroppedQuestion.objects.filter(quiz=quiz):
        assert dropped.gate and dropped.reason


def test_key_terms_are_computed_once_per_document_and_recomputed_when_chunks_change(
    user: Any, make_document: Callable[..., Document], django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document()
    run(new_quiz(user, [document]), django_capture_on_commit_callbacks)
    cached = DocumentTerms.objects.get(document=document)
    DocumentTerms.objects.filter(pk=cached.pk).update(terms=[["krebs", "Krebs", "name", 1, 2, 1.0, 0.1]])
    from quizzes.sources import load_material

    assert [t.key for t in load_material([document.pk]).terms[document.pk]] == ["krebs"]  # read from the cache
    Chunk.objects.filter(document=document).first().delete()  # type: ignore[union-attr]  # as a re-index would
    assert len(load_material([document.pk]).terms[document.pk]) > 10  # chunks changed: recomputed
    assert DocumentTerms.objects.get(document=document).fingerprint != cached.fingerprint


def test_generate_quiz_command_prints_a_quiz(make_document: Callable[..., Document], capsys: pytest.CaptureFixture[str]) -> None:
    document = make_document()
    call_command("generate_quiz", "--document", str(document.pk), "--questions", "5", "--seed", "4")
    out = capsys.readouterr().out
    assert "seed 4" in out and "5 question(s)" in out and "source: document" in out
    call_command("generate_quiz", "--document", str(document.pk), "--questions", "5", "--seed", "4", "--json")
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["questions"]) == 5 and payload["questions"][0]["passage"]["document_id"] == document.pk
    with pytest.raises(CommandError, match="not found"):
        call_command("generate_quiz", "--document", "999999")
    with pytest.raises(CommandError, match="processing"):
        call_command("generate_quiz", "--document", str(make_document(status="processing").pk))


def test_admin_pages_show_quizzes_questions_and_attempts(
    user: Any, make_document: Callable[..., Document], django_capture_on_commit_callbacks: Any, admin_client: Client
) -> None:
    quiz = new_quiz(user, [make_document()], n=5)
    run(quiz, django_capture_on_commit_callbacks)
    question = quiz.questions.first()
    assert question is not None
    for url in (
        "/admin/quizzes/quiz/", f"/admin/quizzes/quiz/{quiz.pk}/change/", "/admin/quizzes/question/",
        f"/admin/quizzes/question/{question.pk}/change/", "/admin/quizzes/droppedquestion/", "/admin/quizzes/attempt/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert question.passage[:40] in admin_client.get(f"/admin/quizzes/question/{question.pk}/change/").content.decode()


def test_admin_edits_and_deletes_questions_keeping_one_correct_option(
    user: Any, make_document: Callable[..., Document], django_capture_on_commit_callbacks: Any, admin_client: Client
) -> None:
    quiz = new_quiz(user, [make_document()], n=4, types=["multiple_choice"])
    run(quiz, django_capture_on_commit_callbacks)
    question = quiz.questions.get(position=1)
    choices = list(question.choices.all())
    url = f"/admin/quizzes/question/{question.pk}/change/"

    def form(correct: set[int]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "position": 1, "prompt": "Edited: " + question.prompt, "answer": question.answer, "accepted_answers": "[]",
            "explanation": question.explanation, "choices-TOTAL_FORMS": len(choices), "choices-INITIAL_FORMS": len(choices),
            "choices-MIN_NUM_FORMS": 0, "choices-MAX_NUM_FORMS": 1000,
        }
        for i, choice in enumerate(choices):
            data.update({f"choices-{i}-id": choice.pk, f"choices-{i}-question": question.pk, f"choices-{i}-position": choice.position, f"choices-{i}-text": choice.text})
            if choice.pk in correct:
                data[f"choices-{i}-is_correct"] = "on"
        return data

    two_right = admin_client.post(url, form({choices[0].pk, choices[1].pk}))
    assert two_right.status_code == 200 and "Exactly one option must be correct." in two_right.content.decode()
    right = next(c.pk for c in choices if c.is_correct)
    assert admin_client.post(url, form({right})).status_code == 302
    assert Question.objects.get(pk=question.pk).prompt.startswith("Edited: ")
    assert admin_client.post(f"/admin/quizzes/question/{question.pk}/delete/", {"post": "yes"}).status_code == 302
    assert quiz.questions.count() == 3
