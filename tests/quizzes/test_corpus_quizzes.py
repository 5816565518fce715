"""The generator over every document of the evaluation corpus (bench/corpus: real documents of
many kinds, with their licences): no quiz fails, no candidate raises, every question passes
fresh gates, and the defects the evaluation's own detectors (bench/quiz_quality.py, which share
no code with the generator) look for are absent. bench/quiz_quality.py prints the full figures."""
from __future__ import annotations

from functools import cache

import pytest

from bench.corpus import DOCUMENTS, CorpusDocument, material, pages
from bench.quiz_quality import Detectors
from quizzes.generators import Material, QuestionType, QuizSpec, generate
from quizzes.generators.gates import QualityGates

# Defects that must never appear: a running head or page number in a question, a number that
# labels rather than counts, a false statement glued from parts, a question that points back.
NEVER = {"leak", "label", "glued", "pronoun", "dup"}


@cache
def _material(document: CorpusDocument) -> tuple[Material, Detectors]:
    texts = pages(document)
    return material(document, texts), Detectors(texts)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.slug)
@pytest.mark.parametrize("seed", [1, 2])
def test_every_corpus_document_makes_a_full_quiz_without_defects(document: CorpusDocument, seed: int) -> None:
    made, detectors = _material(document)
    spec = QuizSpec(num_questions=10, question_types=tuple(QuestionType), seed=seed)
    result = generate(made, spec)
    assert result.errors == []
    assert len(result.questions) == 10, result.shortfall_reason
    gates = QualityGates(spec.question_types)
    for question in result.questions:
        assert gates.admit(question) is None, question
        defects = set(detectors.check(question, result.questions)) & NEVER
        assert not defects, (defects, question.prompt)
        if question.type == QuestionType.MULTIPLE_CHOICE:
            assert len(question.option_explanations) == len(question.options)
            right = question.options.index(question.answer)
            assert question.option_explanations[right].startswith("Right")
            assert all(e.startswith("Wrong") for i, e in enumerate(question.option_explanations) if i != right)


def test_the_corpus_holds_every_kind_the_evaluation_asks_for() -> None:
    kinds = {document.kind for document in DOCUMENTS}
    assert len(DOCUMENTS) >= 6 and len(kinds) >= 6
