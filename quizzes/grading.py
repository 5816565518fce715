"""Grading an attempt: checking the answers against the quiz (a malformed set is refused whole,
naming each problem), then judging each one.

Typed answers (blanks, short answers) are judged leniently: case, spacing, punctuation,
accents and a leading article do not matter ("The  Calvin-cycle!" is "calvin cycle"), and a
small typo in a word answer is forgiven (one edit from 5 letters, two from 10). Numbers must be
exact, as a typo in a number is another number."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

from .generators.schema import QuestionType
from .models import Question

MAX_TEXT_ANSWER = 500
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_ARTICLE = re.compile(r"^(the|a|an) ")


class InvalidAnswers(ValueError):
    """The answers do not fit the quiz; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Judgement:
    question: Question
    response: Any  # as sent (normalised for true/false)
    is_correct: bool
    match: str  # exact | lenient | typo | "" (wrong or skipped)


def parse_answers(questions: Sequence[Question], answers: Any) -> dict[int, Any]:
    """`answers` is a list of {"question": <id>, "answer": <value>} covering every question of
    the quiz once; `null` skips one. Returns {question id: value}; raises InvalidAnswers."""
    if not isinstance(answers, list):
        raise InvalidAnswers(['"answers" must be a list of {"question": <id>, "answer": <value>} objects.'])
    by_id = {question.pk: question for question in questions}
    given: dict[int, Any] = {}
    problems: list[str] = []
    for index, item in enumerate(answers):
        if not isinstance(item, dict) or set(item) != {"question", "answer"}:
            problems.append(f'answers[{index}] must be an object with exactly "question" and "answer".')
            continue
        question_id = item["question"]
        if not isinstance(question_id, int) or isinstance(question_id, bool) or question_id not in by_id:
            problems.append(f"answers[{index}]: question {question_id!r} is not a question of this quiz.")
            continue
        if question_id in given:
            problems.append(f"answers[{index}]: question {question_id} is answered twice.")
            continue
        value = item["answer"]
        problem = _type_problem(by_id[question_id], value)
        if problem:
            problems.append(f"answers[{index}]: {problem}")
        given[question_id] = value
    missing = [str(question.pk) for question in questions if question.pk not in given]
    if missing:
        problems.append(f"questions {', '.join(missing)} are not answered (send null to skip one).")
    if problems:
        raise InvalidAnswers(problems)
    return given


def _type_problem(question: Question, value: Any) -> str | None:
    if value is None:
        return None
    kind = QuestionType(question.type)
    if kind == QuestionType.MULTIPLE_CHOICE:
        ids = [choice.pk for choice in question.choices.all()]
        if not isinstance(value, int) or isinstance(value, bool) or value not in ids:
            listed = ", ".join(str(i) for i in ids)
            return f"question {question.pk} is multiple choice: answer with the id of one of its choices ({listed})."
    elif kind == QuestionType.TRUE_FALSE:
        if _truth(value) is None:
            return f"question {question.pk} is true/false: answer true or false."
    elif not isinstance(value, str) or len(value) > MAX_TEXT_ANSWER:
        return f"question {question.pk} takes a text answer of at most {MAX_TEXT_ANSWER} characters."
    return None


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def judge(question: Question, value: Any) -> Judgement:
    if value is None:
        return Judgement(question, None, False, "")
    kind = QuestionType(question.type)
    if kind == QuestionType.MULTIPLE_CHOICE:
        right = any(choice.pk == value and choice.is_correct for choice in question.choices.all())
        return Judgement(question, value, right, "exact" if right else "")
    if kind == QuestionType.TRUE_FALSE:
        truth = _truth(value)
        right = truth == (question.answer == "true")
        return Judgement(question, truth, right, "exact" if right else "")
    match = text_match(value, [question.answer, *question.accepted_answers])
    return Judgement(question, value, bool(match), match)


def text_match(given: str, expected: Sequence[str]) -> str:
    """How `given` matches one of the expected answers: "exact", "lenient", "typo", or ""."""
    folded_given = normalize(given)
    if not folded_given:
        return ""
    for answer in expected:
        if given.strip() == answer.strip():
            return "exact"
    for answer in expected:
        if folded_given == normalize(answer):
            return "lenient"
    for answer in expected:
        target = normalize(answer)
        if any(ch.isdigit() for ch in target) or len(target) < 5:
            continue
        allowed = 2 if len(target) >= 10 else 1
        if Levenshtein.distance(folded_given, target, score_cutoff=allowed) <= allowed:
            return "typo"
    return ""


def normalize(text: str) -> str:
    """Case, accents, punctuation, spacing and a leading article removed: 'The Calvin-cycle!' → 'calvin cycle'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCTUATION.sub(" ", text.replace(",", "") if re.fullmatch(r"[\d,.\s]+", text) else text)
    text = " ".join(text.split())
    return _ARTICLE.sub("", text)
