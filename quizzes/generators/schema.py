"""The question schema both generators produce and the gates check, and what a generator is
given (the material, the quiz asked for) and returns. No Django here: the generators are pure
functions of their input, so they run the same in a worker, in `manage.py generate_quiz` and in
property tests."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BLANK = "_____"
MAX_PROMPT_CHARS = 600  # a question as the API stores and shows it


class QuestionType(StrEnum):
    MULTIPLE_CHOICE = "multiple_choice"
    TRUE_FALSE = "true_false"
    FILL_IN_THE_BLANK = "fill_in_the_blank"
    SHORT_ANSWER = "short_answer"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Passage(BaseModel):
    """A citable passage: a Chunk, `text == page text[char_start:char_end]`."""

    model_config = ConfigDict(frozen=True)

    chunk_id: int | None
    document_id: int
    page_number: int
    char_start: int
    char_end: int
    text: str


Option = Annotated[str, Field(min_length=1, max_length=200)]


class QuestionDraft(BaseModel):
    """One question as a generator proposes it. `answer` is the correct option's text (multiple
    choice), "true"/"false" (true/false) or the expected text (blank, short answer); `evidence`
    is the sentence of `passage` that the question is about."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: QuestionType
    prompt: Annotated[str, Field(min_length=8, max_length=MAX_PROMPT_CHARS)]
    options: Annotated[list[Option], Field(max_length=6)] = []
    answer: Annotated[str, Field(min_length=1, max_length=200)]
    accepted: Annotated[list[Option], Field(max_length=5)] = []
    explanation: Annotated[str, Field(min_length=1, max_length=1200)]
    # Multiple choice: why each option (same order as `options`) is right or wrong; may be empty.
    option_explanations: Annotated[list[Annotated[str, Field(max_length=600)]], Field(max_length=6)] = []
    evidence: Annotated[str, Field(min_length=1, max_length=1200)]
    passage: Passage
    source: Literal["offline", "llm"] = "offline"

    @model_validator(mode="after")
    def _shape_fits_type(self) -> "QuestionDraft":
        if self.type == QuestionType.MULTIPLE_CHOICE:
            if not 3 <= len(self.options) <= 6:
                raise ValueError("a multiple-choice question has 3 to 6 options")
            if self.answer not in self.options:
                raise ValueError("the answer must be one of the options")
            if self.option_explanations and len(self.option_explanations) != len(self.options):
                raise ValueError("option_explanations has one entry per option, or none")
        elif self.options or self.option_explanations:
            raise ValueError(f"a {self.type} question has no options")
        if self.type == QuestionType.TRUE_FALSE and self.answer not in ("true", "false"):
            raise ValueError('a true/false answer is "true" or "false"')
        if self.type == QuestionType.FILL_IN_THE_BLANK and BLANK not in self.prompt:
            raise ValueError(f"a fill-in-the-blank prompt contains the blank {BLANK}")
        return self


@dataclass(frozen=True)
class QuizSpec:
    num_questions: int
    question_types: tuple[QuestionType, ...]
    difficulty: Difficulty = Difficulty.MEDIUM
    seed: int = 0


@dataclass(frozen=True)
class KeyTerm:
    """A key term of a document: `key` is its folded form, `text` how it is written."""

    key: str
    text: str
    kind: str  # year | number | acronym | name | term
    words: int
    count: int  # occurrences in the document
    score: float  # TF-IDF over the document's passages, scaled to (0, 1]
    position: float = 0.0  # where in the document it is said, on average (0 start, 1 end)


@dataclass(frozen=True)
class Material:
    """What a quiz is made from: passages in reading order and each document's key terms."""

    passages: list[Passage]
    terms: dict[int, list[KeyTerm]]


@dataclass(frozen=True)
class Dropped:
    """A question a gate refused, and why."""

    draft: QuestionDraft
    gate: str
    reason: str


@dataclass
class GenerationResult:
    questions: list[QuestionDraft] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    generator: str = "offline"
    notes: list[str] = field(default_factory=list)
    shortfall_reason: str = ""
    errors: list[str] = field(default_factory=list)  # candidates skipped because building them raised


# Called with (questions accepted so far, questions asked) after each accepted question.
Progress = Callable[[int, int], None]
