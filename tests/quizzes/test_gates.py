"""Each quality gate refuses what it is there for, with its name and a reason."""
from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from quizzes.generators.gates import Gate, QualityGates
from quizzes.generators.schema import Passage, QuestionDraft, QuestionType

PASSAGE = Passage(
    chunk_id=1, document_id=1, page_number=2, char_start=0, char_end=200,
    text="Mitochondria are the organelles where aerobic respiration takes place. The Krebs cycle runs in the mitochondrial matrix.",
)
SENTENCE = "The Krebs cycle runs in the mitochondrial matrix."


def draft(**changes: Any) -> QuestionDraft:
    fields: dict[str, Any] = {
        "type": QuestionType.MULTIPLE_CHOICE,
        "prompt": "Which answer completes the sentence? The _____ cycle runs in the mitochondrial matrix.",
        "options": ["Krebs", "Calvin", "Carnot", "Hubble"],
        "answer": "Krebs",
        "explanation": "Page 2 says so.",
        "evidence": SENTENCE,
        "passage": PASSAGE,
    }
    return QuestionDraft(**{**fields, **changes})


def gate_of(question: QuestionDraft, allowed: tuple[QuestionType, ...] = tuple(QuestionType)) -> Gate | None:
    rejection = QualityGates(allowed).check(question)
    return None if rejection is None else rejection.gate


def test_a_good_question_passes() -> None:
    assert gate_of(draft()) is None


@pytest.mark.parametrize(
    ("changes", "gate"),
    [
        ({"options": ["Krebs", "krebs", "Calvin", "Carnot"]}, Gate.DISTINCT_OPTIONS),
        ({"options": ["Krebs", "Krebs cycle", "Calvin", "Carnot"]}, Gate.DISTINCT_OPTIONS),  # contains the answer
        ({"options": ["Krebs", "Calvin", "Carnot", "the famous cycle of Hans Adolf Krebs"]}, Gate.DISTINCT_OPTIONS),
        ({"options": ["Krebs", "Calvin", "Carnot", "1937"]}, Gate.SIMILAR_FORM),
        ({"options": ["Krebs", "Calvin", "Carnot", "a long descriptive option with very many more words"]}, Gate.SIMILAR_FORM),
        ({"options": ["Krebs", "Calvin", "Carnot", "matrix"]}, Gate.DISTINCT_OPTIONS),  # shown by the prompt
        ({"answer": "Calvin", "options": ["Krebs", "Calvin", "Carnot", "Hubble"]}, Gate.ANSWER_IN_PASSAGE),
        ({"prompt": "Which answer completes the sentence? The Krebs cycle runs in the _____ matrix.", "answer": "Krebs"}, Gate.GIVES_AWAY),
        ({"evidence": "The Calvin cycle runs in the stroma."}, Gate.SOURCE),
    ],
)
def test_multiple_choice_gates(changes: dict[str, Any], gate: Gate) -> None:
    assert gate_of(draft(**changes)) == gate


def test_a_prompt_that_gives_its_answer_away_by_its_stem() -> None:
    question = draft(
        type=QuestionType.SHORT_ANSWER, options=[], answer="Mitochondria",
        prompt="What are the mitochondrial organelles called?", evidence=PASSAGE.text.split(". ")[0] + ".",
    )
    assert gate_of(question) == Gate.GIVES_AWAY


def test_true_false_must_be_stated_when_true_and_not_stated_when_false() -> None:
    true = draft(type=QuestionType.TRUE_FALSE, options=[], answer="true", prompt=f"True or false: {SENTENCE}")
    assert gate_of(true) is None
    assert gate_of(true.model_copy(update={"answer": "false"})) == Gate.ANSWER_IN_PASSAGE
    swapped = f"True or false: {SENTENCE.replace('Krebs', 'Calvin')}"
    assert gate_of(true.model_copy(update={"prompt": swapped, "answer": "false"})) is None
    assert gate_of(true.model_copy(update={"prompt": swapped})) == Gate.ANSWER_IN_PASSAGE


@pytest.mark.parametrize(
    ("evidence", "gate"),
    [
        ("Page 12", Gate.BOILERPLATE),
        ("Chapter 4 The Krebs cycle", Gate.BOILERPLATE),
        ("Figure 2: The Krebs cycle runs in the matrix.", Gate.BOILERPLATE),
        ("[3] Krebs, H. A. (1937). The citric acid cycle. Enzymologia 4, 148.", Gate.BOILERPLATE),
        ("See https://example.org/krebs for the Krebs cycle in the mitochondrial matrix.", Gate.BOILERPLATE),
        ("runs in the mitochondrial matrix of every cell.", Gate.FRAGMENT),
        ("The Krebs cycle runs in the mitochondrial matrix, and", Gate.FRAGMENT),
        ("Krebs cycle", Gate.FRAGMENT),
    ],
)
def test_fragments_and_boilerplate_are_refused(evidence: str, gate: Gate) -> None:
    passage = PASSAGE.model_copy(update={"text": f"{PASSAGE.text} {evidence}"})
    question = draft(type=QuestionType.TRUE_FALSE, options=[], answer="true", prompt=f"True or false: {evidence}", evidence=evidence, passage=passage)
    assert gate_of(question) == gate


def test_no_two_questions_alike() -> None:
    gates = QualityGates(tuple(QuestionType))
    assert gates.admit(draft()) is None
    same_sentence = draft(type=QuestionType.TRUE_FALSE, options=[], answer="true", prompt=f"True or false: {SENTENCE}")
    rejection = gates.admit(same_sentence)
    assert rejection is not None and rejection.gate == Gate.DUPLICATE and "question 1" in rejection.reason
    other = "The Krebs cycle runs in the mitochondrial matrix of the cell."
    near_copy = draft(
        evidence=other, passage=PASSAGE.model_copy(update={"text": f"{PASSAGE.text} {other}"}),
        prompt="Which answer completes the sentence? The _____ cycle runs in the mitochondrial matrix of the cell.",
    )
    rejection = gates.admit(near_copy)
    assert rejection is not None and rejection.gate == Gate.DUPLICATE and "nearly the same" in rejection.reason


def test_a_type_that_was_not_asked_for_is_refused() -> None:
    assert gate_of(draft(), allowed=(QuestionType.TRUE_FALSE,)) == Gate.TYPE


def test_the_schema_refuses_malformed_questions() -> None:
    with pytest.raises(ValidationError, match="one of the options"):
        draft(answer="Pasteur")
    with pytest.raises(ValidationError, match="3 to 6 options"):
        draft(options=["Krebs", "Calvin"])
    with pytest.raises(ValidationError, match="true"):
        draft(type=QuestionType.TRUE_FALSE, options=[], answer="yes")
    with pytest.raises(ValidationError, match="blank"):
        draft(type=QuestionType.FILL_IN_THE_BLANK, options=[], prompt="What runs in the matrix?")
