"""The optional LLM provider against a fake OpenAI-compatible server: valid output is used after
the same gates, invalid output is retried with its error then replaced by the offline
generator, and so is a server that times out or fails."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from documents.models import Document
from quizzes.generators import Material, QuestionType, QuizSpec, generate
from quizzes.generators.llm import LLMProvider, LLMSettings, configured_provider
from quizzes.models import Quiz
from quizzes.tasks import generate_quiz

from .fake_llm import FakeLLM, completion, error, fake_llm_server, slow

CALVIN = "The Calvin cycle takes place in the stroma of the chloroplast."
PAIRS = "Adenine always pairs with thymine, and guanine always pairs with cytosine."
ALL = tuple(QuestionType)


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


def provider(fake: FakeLLM, **changes: Any) -> LLMProvider:
    settings = {"base_url": fake.base_url, "model": "tiny", "api_key": "sk-test", "timeout_seconds": 5.0, "max_tries": 2, "max_passages": 40}
    return LLMProvider(LLMSettings(**{**settings, **changes}))


def passage_id(body: dict[str, Any], sentence: str) -> str:
    """The id ("P3") under which the request showed the passage holding `sentence`."""
    text = body["messages"][1]["content"]
    for match in re.finditer(r"\[(P\d+)\] \(document \d+, page \d+\)\n(.*?)(?=\n\n\[P|\Z)", text, re.S):
        if sentence in match.group(2):
            return match.group(1)
    raise AssertionError(f"no passage holds {sentence!r}")


def good_questions(body: dict[str, Any]) -> dict[str, Any]:
    """Two good questions and one that gives its answer away, citing what was shown."""
    calvin, pairs = passage_id(body, CALVIN), passage_id(body, PAIRS)
    return {
        "questions": [
            {
                "type": "multiple_choice", "prompt": "In which part of the chloroplast does the Calvin cycle take place?",
                "options": ["stroma", "thylakoid", "nucleus", "cytoplasm"], "answer": "stroma",
                "option_explanations": ["Right: the passage says so.", "Wrong: the light reactions run there.", "Wrong: no.", "Wrong: no."],
                "explanation": "The Calvin cycle runs in the stroma.", "passage": calvin, "evidence": CALVIN,
            },
            {"type": "true_false", "prompt": f"True or false: {PAIRS}", "answer": True, "explanation": "Base pairing.", "passage": pairs, "evidence": PAIRS},
            {
                "type": "short_answer", "prompt": "Where in the stroma does the Calvin cycle take place?", "answer": "stroma",
                "explanation": "Gives itself away.", "passage": calvin, "evidence": CALVIN,
            },
        ]
    }


def reply_good(body: dict[str, Any]) -> tuple[int, Any]:
    return completion(good_questions(body))(body)


def test_valid_output_is_used_after_the_gates_and_the_rest_is_offline(fake: FakeLLM, corpus: Material) -> None:
    fake.reply_with(reply_good)
    result = generate(corpus, QuizSpec(5, ALL, seed=3), provider=provider(fake))
    llm = [q for q in result.questions if q.source == "llm"]
    assert [q.answer for q in llm] == ["stroma", "true"]
    assert llm[0].passage.text.find(CALVIN) >= 0 and llm[0].options == ["stroma", "thylakoid", "nucleus", "cytoplasm"]
    assert llm[0].option_explanations[1] == "Wrong: the light reactions run there."
    assert "option_explanations" in fake.requests[0]["messages"][0]["content"]
    assert len(result.questions) == 5 and result.generator == "llm+offline"
    assert [(d.gate, d.draft.prompt) for d in result.dropped if d.draft.source == "llm"] == [
        ("gives_away", "Where in the stroma does the Calvin cycle take place?")
    ]
    assert "gave 2 usable question(s) of 5" in result.notes[0]
    request = fake.requests[0]
    assert request["model"] == "tiny" and request["seed"] == 3 and request["response_format"] == {"type": "json_object"}
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"


def test_invalid_output_is_retried_with_the_error_then_accepted(fake: FakeLLM, corpus: Material) -> None:
    missing_evidence = {"questions": [{"type": "true_false", "prompt": "True or false: x", "answer": True, "explanation": "e", "passage": "P1"}]}
    fake.reply_with(completion(missing_evidence), reply_good)
    result = generate(corpus, QuizSpec(2, ALL, seed=3), provider=provider(fake))
    assert [q.source for q in result.questions] == ["llm", "llm"] and result.generator == "llm"
    assert len(fake.requests) == 2
    assert "That output was invalid: questions.0.evidence: Field required" in fake.requests[1]["messages"][-1]["content"]


@pytest.mark.parametrize(
    "reply",
    [completion("Sure! Here are your questions: 1. What is ..."), completion({"questions": "none"}), completion({"quiz": []})],
)
def test_output_that_stays_invalid_falls_back_to_the_offline_generator(fake: FakeLLM, corpus: Material, reply: Any) -> None:
    fake.reply_with(reply, reply)
    result = generate(corpus, QuizSpec(4, ALL, seed=3), provider=provider(fake))
    assert len(fake.requests) == 2  # bounded: max_tries
    assert len(result.questions) == 4 and {q.source for q in result.questions} == {"offline"}
    assert result.generator == "offline"
    assert "The LLM provider failed 2 time(s) (last: invalid output" in result.notes[0]
    assert "the offline generator wrote the questions" in result.notes[0]


def test_a_server_that_times_out_falls_back(fake: FakeLLM, corpus: Material) -> None:
    fake.reply_with(slow(2.0), slow(2.0))
    result = generate(corpus, QuizSpec(3, ALL, seed=3), provider=provider(fake, timeout_seconds=0.3))
    assert len(result.questions) == 3 and result.generator == "offline"
    assert "timed out after 0.3 s" in result.notes[0]


def test_a_failing_server_falls_back(fake: FakeLLM, corpus: Material) -> None:
    fake.reply_with(error(503), error(401))
    result = generate(corpus, QuizSpec(3, ALL, seed=3), provider=provider(fake))
    assert result.generator == "offline" and "HTTP 401" in result.notes[0]


def test_the_provider_is_off_by_default_and_set_by_settings(settings: Any, monkeypatch: pytest.MonkeyPatch, fake: FakeLLM) -> None:
    assert configured_provider() is None
    monkeypatch.setenv("MY_LLM_KEY", "sk-from-env")
    settings.STUDYAI_QUIZZES = {
        **settings.STUDYAI_QUIZZES,
        "LLM": {**settings.STUDYAI_QUIZZES["LLM"], "BASE_URL": fake.base_url, "MODEL": "m", "API_KEY_ENV": "MY_LLM_KEY"},
    }
    configured = configured_provider()
    assert configured is not None and configured.settings.api_key == "sk-from-env" and configured.settings.model == "m"


@pytest.mark.django_db
def test_the_task_uses_the_configured_provider_and_says_when_it_fell_back(
    settings: Any, fake: FakeLLM, user: Any, make_document: Callable[..., Document], django_capture_on_commit_callbacks: Any
) -> None:
    settings.STUDYAI_QUIZZES = {
        **settings.STUDYAI_QUIZZES,
        "LLM": {**settings.STUDYAI_QUIZZES["LLM"], "BASE_URL": fake.base_url, "MODEL": "m", "MAX_TRIES": 1, "TIMEOUT_SECONDS": 0.3},
    }
    fake.reply_with(slow(2.0))
    quiz = Quiz.objects.create(owner=user, title="t", num_questions=4, question_types=["true_false"], difficulty="easy", seed=1)
    quiz.documents.set([make_document()])
    with django_capture_on_commit_callbacks(execute=True):
        generate_quiz.apply((quiz.pk,))
    quiz.refresh_from_db()
    assert quiz.status == "ready" and quiz.generator == "offline" and quiz.questions.count() == 4
    assert "timed out" in quiz.notes[0]
