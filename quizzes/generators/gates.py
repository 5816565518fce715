"""Quality gates: every question, from either generator, passes all of them or is dropped with
the gate's name and a reason. Gates are stateful only for duplicates: `admit` remembers what it
let through, so no two questions of one quiz are alike."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from .candidates import points_back
from .schema import BLANK, QuestionDraft, QuestionType
from .text import contains_phrase, fold, related, sentence_problem, sentences, squash, words

# Prompts this similar (token-sort ratio, 0-100) ask the same thing.
SIMILAR_PROMPTS = 85


class Gate(StrEnum):
    TYPE = "type"
    SOURCE = "source"
    BOILERPLATE = "boilerplate"
    FRAGMENT = "fragment"
    SELF_CONTAINED = "self_contained"
    ANSWER_IN_PASSAGE = "answer_in_passage"
    GIVES_AWAY = "gives_away"
    ONE_CORRECT = "one_correct"
    DISTINCT_OPTIONS = "distinct_options"
    SIMILAR_FORM = "similar_form"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Rejection:
    gate: Gate
    reason: str


class QualityGates:
    def __init__(self, allowed_types: Iterable[QuestionType]) -> None:
        self.allowed_types = frozenset(allowed_types)
        self._evidence: list[str] = []
        self._prompts: list[str] = []

    def admit(self, draft: QuestionDraft) -> Rejection | None:
        """Check `draft`; when it passes, remember it so that a later duplicate is refused."""
        rejection = self.check(draft)
        if rejection is None:
            self._evidence.append(fold(draft.evidence))
            self._prompts.append(fold(draft.prompt))
        return rejection

    def check(self, draft: QuestionDraft) -> Rejection | None:
        for gate in (self._type, self._source, check_sentence, check_self_contained, check_answer_in_passage, check_gives_away, check_options, self._duplicate):
            rejection = gate(draft)
            if rejection is not None:
                return rejection
        return None

    def _type(self, draft: QuestionDraft) -> Rejection | None:
        if draft.type not in self.allowed_types:
            return Rejection(Gate.TYPE, f"{draft.type} questions were not asked for")
        return None

    @staticmethod
    def _source(draft: QuestionDraft) -> Rejection | None:
        if fold(draft.evidence) not in fold(draft.passage.text):
            return Rejection(Gate.SOURCE, "the source sentence is not in the cited passage")
        return None

    def _duplicate(self, draft: QuestionDraft) -> Rejection | None:
        evidence, prompt = fold(draft.evidence), fold(draft.prompt)
        for number, (other_evidence, other_prompt) in enumerate(zip(self._evidence, self._prompts), start=1):
            if evidence == other_evidence:
                return Rejection(Gate.DUPLICATE, f"question {number} is about the same sentence")
            if fuzz.token_sort_ratio(prompt, other_prompt) >= SIMILAR_PROMPTS:
                return Rejection(Gate.DUPLICATE, f"question {number} asks nearly the same thing")
        return None


def check_sentence(draft: QuestionDraft) -> Rejection | None:
    problem = sentence_problem(draft.evidence)
    if problem is None:
        return None
    gate, reason = problem
    return Rejection(Gate(gate), reason)


def check_self_contained(draft: QuestionDraft) -> Rejection | None:
    """The question must make sense on its own: its evidence may not start by pointing back
    ("This means ...", "The work thus licensed ..."); a generator that wants such a sentence
    puts the sentence it refers to before it, in the evidence and in the prompt."""
    first = next(sentences(draft.evidence), None)
    if first is not None and points_back(first.text):
        return Rejection(Gate.SELF_CONTAINED, "the question depends on the sentence before it, which it does not include")
    return None


def check_answer_in_passage(draft: QuestionDraft) -> Rejection | None:
    """The answer is stated by the cited passage: the answer itself for most types; for
    true/false, the statement (true) or its correct form (false) is the source sentence."""
    if draft.type == QuestionType.TRUE_FALSE:
        statement = _statement(draft.prompt)
        stated = contains_phrase(draft.passage.text, statement)
        if draft.answer == "true" and not stated:
            return Rejection(Gate.ANSWER_IN_PASSAGE, "the passage does not state this true statement")
        if draft.answer == "false" and (stated or fold(statement) == fold(draft.evidence)):
            return Rejection(Gate.ANSWER_IN_PASSAGE, "the passage states this false statement")
        return None
    if not contains_phrase(draft.evidence, draft.answer) or not contains_phrase(draft.passage.text, draft.answer):
        return Rejection(Gate.ANSWER_IN_PASSAGE, f"the answer {draft.answer!r} is not in the cited passage")
    return None


def check_gives_away(draft: QuestionDraft) -> Rejection | None:
    """The prompt must not contain its own answer, nor a word of the same stem."""
    if draft.type == QuestionType.TRUE_FALSE:
        return None
    prompt = draft.prompt.replace(BLANK, " ")
    if contains_phrase(prompt, draft.answer):
        return Rejection(Gate.GIVES_AWAY, "the prompt contains the answer")
    answer_words = [w for w in words(draft.answer) if len(w) >= 4]
    for word in words(prompt):
        if any(related(word, answer_word) for answer_word in answer_words):
            return Rejection(Gate.GIVES_AWAY, f"the prompt's {word!r} gives the answer away")
    return None


def check_options(draft: QuestionDraft) -> Rejection | None:
    """Multiple choice: options distinct, exactly one correct, none containing another (so no
    distractor contains the answer), all of one form."""
    if draft.type != QuestionType.MULTIPLE_CHOICE:
        return None
    folded = [_option_key(option) for option in draft.options]
    if len(set(folded)) != len(folded):
        return Rejection(Gate.DISTINCT_OPTIONS, "two options are the same")
    answer = _option_key(draft.answer)
    if folded.count(answer) != 1:
        return Rejection(Gate.ONE_CORRECT, "not exactly one option is the answer")
    for i, a in enumerate(folded):
        for b in folded[i + 1 :]:
            if contains_phrase(a, b) or contains_phrase(b, a):
                return Rejection(Gate.DISTINCT_OPTIONS, f"option {b!r} overlaps option {a!r}")
    prompt = draft.prompt.replace(BLANK, " ")
    for option in draft.options:
        if option != draft.answer and contains_phrase(prompt, option):
            # A distractor the prompt itself shows is ruled out (or made right) by reading it.
            return Rejection(Gate.DISTINCT_OPTIONS, f"option {option!r} appears in the prompt")
    return _similar_form(draft.options)


def _similar_form(options: list[str]) -> Rejection | None:
    numeric = [_is_number(option) for option in options]
    if any(numeric) and not all(numeric):
        return Rejection(Gate.SIMILAR_FORM, "some options are numbers and some are not")
    counts = [len(words(option)) or 1 for option in options]
    if max(counts) - min(counts) > 2:
        return Rejection(Gate.SIMILAR_FORM, "the options differ too much in length")
    lengths = [len(option) for option in options]
    if max(lengths) > 3 * max(4, min(lengths)):
        return Rejection(Gate.SIMILAR_FORM, "the options differ too much in length")
    return None


def _is_number(option: str) -> bool:
    return any(ch.isdigit() for ch in option) and sum(ch.isalpha() for ch in option) <= 3


def _option_key(option: str) -> str:
    return " ".join(words(fold(option))) or fold(option)


def _statement(prompt: str) -> str:
    """A true/false prompt is 'True or false: <statement>'; the statement is what is judged."""
    prefix = "true or false:"
    text = squash(prompt)
    return text[len(prefix) :].strip() if text.casefold().startswith(prefix) else text
