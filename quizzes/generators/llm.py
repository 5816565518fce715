"""An optional LLM provider: any OpenAI-compatible chat-completions endpoint (settings
STUDYAI_QUIZZES["LLM"]; off unless a base URL is set).

Its output is never trusted: it must parse as the JSON schema below (pydantic), each question
must fit the question schema and pass the same gates as the offline generator's, and it must
cite a passage it was shown, quoting the sentence it is about. Output that does not parse is
retried a bounded number of times, with the error; after that (or on timeouts and HTTP errors)
the offline generator writes the questions, and the quiz's notes say so.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .gates import QualityGates
from .schema import Dropped, Material, Passage, Progress, QuestionDraft, QuestionType, QuizSpec
from .text import squash

log = logging.getLogger(__name__)

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class LLMQuestion(BaseModel):
    """One question as the model must write it."""

    model_config = ConfigDict(extra="forbid")

    type: QuestionType
    prompt: Annotated[str, Field(min_length=1, max_length=600)]
    options: list[str] = []
    option_explanations: list[Annotated[str, Field(max_length=600)]] = []
    answer: str | bool
    explanation: Annotated[str, Field(min_length=1, max_length=1200)]
    passage: Annotated[str, Field(pattern=r"^P\d+$")]
    evidence: Annotated[str, Field(min_length=1, max_length=1200)]


class LLMOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: Annotated[list[LLMQuestion], Field(min_length=1, max_length=60)]


@dataclass
class ProviderResult:
    questions: list[QuestionDraft] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Provider(Protocol):
    def generate(self, material: Material, spec: QuizSpec, gates: QualityGates, progress: Progress | None) -> ProviderResult: ...


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str = ""
    timeout_seconds: float = 60.0
    max_tries: int = 2
    max_passages: int = 12


class InvalidOutput(ValueError):
    """The model answered, but not with output of the schema."""


def configured_provider() -> "LLMProvider | None":
    """The provider the settings describe, or None (the default: offline only). The key is read
    from the environment variable the settings name, never stored in settings."""
    from django.conf import settings

    config = settings.STUDYAI_QUIZZES["LLM"]
    if not config["BASE_URL"]:
        return None
    return LLMProvider(
        LLMSettings(
            base_url=config["BASE_URL"],
            model=config["MODEL"],
            api_key=os.environ.get(config["API_KEY_ENV"], ""),
            timeout_seconds=config["TIMEOUT_SECONDS"],
            max_tries=config["MAX_TRIES"],
            max_passages=config["MAX_PASSAGES"],
        )
    )


class LLMProvider:
    def __init__(self, settings: LLMSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport

    def generate(self, material: Material, spec: QuizSpec, gates: QualityGates, progress: Progress | None) -> ProviderResult:
        attempt = ProviderResult()
        passages = choose_passages(material.passages, self.settings.max_passages)
        if not passages:
            return attempt
        messages = _messages(passages, spec)
        failures: list[str] = []
        output: LLMOutput | None = None
        for _ in range(max(1, self.settings.max_tries)):
            try:
                output = self._ask(messages, spec.seed)
                break
            except InvalidOutput as exc:
                failures.append(f"invalid output ({exc})")
                # Show the model its mistake: the next try can fix it.
                messages = [*messages, {"role": "user", "content": f"That output was invalid: {exc}. Answer again with the JSON object only."}]
            except httpx.TimeoutException:
                failures.append(f"timed out after {self.settings.timeout_seconds:g} s")
            except httpx.HTTPError as exc:
                failures.append(f"request failed ({_describe(exc)})")
        if output is None:
            log.warning("LLM provider failed %d time(s): %s", len(failures), "; ".join(failures))
            attempt.notes.append(
                f"The LLM provider failed {len(failures)} time(s) (last: {failures[-1]}); the offline generator wrote the questions."
            )
            return attempt
        self._admit(output, passages, spec, gates, progress, attempt)
        made = len(attempt.questions)
        if made < spec.num_questions:
            attempt.notes.append(
                f"The LLM provider gave {made} usable question(s) of {spec.num_questions}; the offline generator wrote the rest."
            )
        return attempt

    def _ask(self, messages: list[dict[str, str]], seed: int) -> LLMOutput:
        headers = {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        body = {
            "model": self.settings.model,
            "messages": messages,
            "temperature": 0,
            "seed": seed,
            "response_format": {"type": "json_object"},
        }
        base_url = self.settings.base_url.rstrip("/") + "/"
        with httpx.Client(base_url=base_url, timeout=self.settings.timeout_seconds, transport=self._transport) as client:
            response = client.post("chat/completions", json=body, headers=headers)
            response.raise_for_status()
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise InvalidOutput("the response is not a chat completion") from None
        if not isinstance(content, str):
            raise InvalidOutput("the message content is not text")
        try:
            return LLMOutput.model_validate_json(_FENCE.sub("", content.strip()))
        except ValidationError as exc:
            error = exc.errors()[0]
            location = ".".join(str(part) for part in error["loc"]) or "output"
            raise InvalidOutput(f"{location}: {error['msg']}") from None

    @staticmethod
    def _admit(
        output: LLMOutput, passages: Sequence[Passage], spec: QuizSpec, gates: QualityGates, progress: Progress | None, attempt: ProviderResult
    ) -> None:
        for item in output.questions:
            if len(attempt.questions) >= spec.num_questions:
                break
            try:
                draft = _draft(item, passages)
            except (ValidationError, LookupError) as exc:
                reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                attempt.dropped.append(Dropped(_placeholder(item, passages), "schema", reason[:500]))
                continue
            rejection = gates.admit(draft)
            if rejection is not None:
                attempt.dropped.append(Dropped(draft, rejection.gate.value, rejection.reason))
                continue
            attempt.questions.append(draft)
            if progress is not None:
                progress(len(attempt.questions), spec.num_questions)


def choose_passages(passages: Sequence[Passage], limit: int) -> list[Passage]:
    """Up to `limit` passages spread evenly over the material (the prompt must stay small)."""
    usable = [p for p in passages if len(p.text.split()) >= 20]
    if len(usable) <= limit:
        return list(usable)
    step = len(usable) / limit
    return [usable[int(i * step)] for i in range(limit)]


def _messages(passages: Sequence[Passage], spec: QuizSpec) -> list[dict[str, str]]:
    kinds = ", ".join(t.value for t in spec.question_types)
    system = (
        "You write quiz questions about study material, using only the passages given. Reply with one JSON object: "
        '{"questions": [{"type": one of ' + kinds + ', "prompt": str, "options": [str] (multiple_choice only: 4 options, '
        'exactly one correct, the others plausible terms of the same kind from the material), "answer": str (the correct '
        'option\'s exact text; for true_false "true" or "false"; for fill_in_the_blank the missing words, the prompt marking '
        'the gap with _____), "explanation": str, "option_explanations": [str] (multiple_choice only: for each option in '
        'order, one sentence saying why it is right or wrong, citing where the material says so), "passage": the id of the passage, like "P3", "evidence": one complete '
        "sentence copied exactly from that passage that contains the answer}]}. Never put the answer in the prompt."
    )
    material = "\n\n".join(
        f"[P{i}] (document {p.document_id}, page {p.page_number})\n{squash(p.text)}" for i, p in enumerate(passages, start=1)
    )
    user = f"Write {spec.num_questions} {spec.difficulty.value} questions of these types: {kinds}.\n\nPassages:\n\n{material}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _draft(item: LLMQuestion, passages: Sequence[Passage]) -> QuestionDraft:
    passage = _passage(item, passages)
    answer = item.answer
    if isinstance(answer, bool):
        answer = "true" if answer else "false"
    elif item.type == QuestionType.TRUE_FALSE:
        answer = answer.strip().lower()
    return QuestionDraft(
        type=item.type,
        prompt=squash(item.prompt),
        options=[squash(option) for option in item.options],
        option_explanations=[squash(text) for text in item.option_explanations] if item.type == QuestionType.MULTIPLE_CHOICE else [],
        answer=squash(answer),
        explanation=squash(item.explanation),
        evidence=squash(item.evidence),
        passage=passage,
        source="llm",
    )


def _passage(item: LLMQuestion, passages: Sequence[Passage]) -> Passage:
    index = int(item.passage[1:]) - 1
    if not 0 <= index < len(passages):
        raise LookupError(f"passage {item.passage} was not given")
    return passages[index]


def _placeholder(item: LLMQuestion, passages: Sequence[Passage]) -> QuestionDraft:
    """A schema-valid stand-in for a question that is not, so its drop can be recorded."""
    try:
        passage = _passage(item, passages)
    except LookupError:
        passage = passages[0]
    return QuestionDraft.model_construct(
        type=item.type, prompt=item.prompt[:600], options=[], answer=str(item.answer)[:200] or "?", accepted=[],
        explanation=item.explanation[:1200], evidence=item.evidence[:1200], passage=passage, source="llm",
    )


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
