"""The offline generator on a fixed corpus: questions about the material, every question citing
the passage (and page) that states its answer, the quality rules, determinism, shortfalls."""
from __future__ import annotations

from difflib import SequenceMatcher

import pytest

from quizzes.generators import Difficulty, Material, QuestionType, QuizSpec, generate
from quizzes.generators.gates import QualityGates
from quizzes.generators.schema import BLANK
from quizzes.generators.text import contains_phrase, fold

from .corpus import PAGES, material_of

ALL_TYPES = tuple(QuestionType)


def quiz(material: Material, n: int = 20, types: tuple[QuestionType, ...] = ALL_TYPES, seed: int = 1, difficulty: Difficulty = Difficulty.MEDIUM):
    return generate(material, QuizSpec(n, types, difficulty, seed))


def test_questions_are_about_the_material_and_cite_where_it_says_so(corpus: Material) -> None:
    result = quiz(corpus, 30)
    assert len(result.questions) == 30
    for question in result.questions:
        passage = question.passage
        page = PAGES[passage.page_number - 1]
        assert page[passage.char_start : passage.char_end] == passage.text  # the citation is exact
        assert fold(question.evidence) in fold(passage.text)
        if question.type != QuestionType.TRUE_FALSE:
            assert contains_phrase(passage.text, question.answer), question
            assert contains_phrase(question.evidence, question.answer)


def test_every_type_is_made_in_the_proportions_asked(corpus: Material) -> None:
    result = quiz(corpus, 20)
    counts = {t: sum(q.type == t for q in result.questions) for t in ALL_TYPES}
    assert all(counts[t] >= 4 for t in ALL_TYPES), counts
    only = quiz(corpus, 8, (QuestionType.TRUE_FALSE, QuestionType.MULTIPLE_CHOICE))
    assert {q.type for q in only.questions} == {QuestionType.TRUE_FALSE, QuestionType.MULTIPLE_CHOICE}


def test_questions_spread_over_the_pages(corpus: Material) -> None:
    pages = {q.passage.page_number for q in quiz(corpus, 10).questions}
    assert len(pages) >= 8


def test_multiple_choice_has_one_right_option_and_distractors_from_the_material(corpus: Material) -> None:
    material_text = fold(" ".join(PAGES))
    result = quiz(corpus, 12, (QuestionType.MULTIPLE_CHOICE,))
    assert len(result.questions) == 12
    for question in result.questions:
        assert len(question.options) == 4
        assert question.options.count(question.answer) == 1
        assert BLANK in question.prompt
        for option in question.options:
            assert fold(option) in material_text  # drawn from the same material
            if option != question.answer:
                assert not contains_phrase(option, question.answer) and not contains_phrase(question.answer, option)
                assert not contains_phrase(question.prompt.replace(BLANK, " "), option)
    easy = quiz(corpus, 5, (QuestionType.MULTIPLE_CHOICE,), difficulty=Difficulty.EASY)
    assert all(len(q.options) == 3 for q in easy.questions)


def test_true_false_mixes_true_statements_and_meaningful_swaps(corpus: Material) -> None:
    result = quiz(corpus, 10, (QuestionType.TRUE_FALSE,))
    answers = [q.answer for q in result.questions]
    assert answers.count("true") >= 3 and answers.count("false") >= 3
    for question in result.questions:
        statement = question.prompt.removeprefix("True or false: ")
        stated = contains_phrase(question.passage.text, statement)
        assert stated == (question.answer == "true")
        if question.answer == "false":
            # One term swapped: the statement differs from its source in one place, a few words.
            changes = [op for op in SequenceMatcher(a=question.evidence.split(), b=statement.split()).get_opcodes() if op[0] != "equal"]
            assert len(changes) == 1 and changes[0][2] - changes[0][1] <= 3, (question.evidence, statement)


def test_short_answers_ask_for_the_defined_term(corpus: Material) -> None:
    result = quiz(corpus, 12, (QuestionType.SHORT_ANSWER,))  # more than the corpus defines
    asked = {q.answer.lower(): q.prompt for q in result.questions}
    defined = {"photosynthesis", "mitochondria", "dna", "meiosis", "inertia", "friction", "weight", "momentum", "isotopes", "transpiration"}
    assert set(asked) == defined
    assert asked["transpiration"] == "What is the term for the loss of water vapour from the leaves of plants?"
    # "This tendency ..." points back: the sentence it refers to is said first.
    assert asked["inertia"] == (
        "The first law states that an object remains at rest or in uniform motion unless a net force acts on it. "
        "What is this tendency to resist changes in motion called?"
    )
    assert "not 12" in result.shortfall_reason
    for question in result.questions:
        assert not contains_phrase(question.prompt, question.answer)


def test_no_question_about_headings_footers_captions_or_references(corpus: Material) -> None:
    result = quiz(corpus, 50)
    for question in result.questions:
        assert not question.evidence.startswith(("Chapter", "Page", "Figure", "References", "[1]", "Further reading"))


def test_no_two_questions_alike(corpus: Material) -> None:
    result = quiz(corpus, 50)
    evidence = [fold(q.evidence) for q in result.questions]
    assert len(set(evidence)) == len(evidence)
    assert len({fold(q.prompt) for q in result.questions}) == len(result.questions)


def test_every_question_passes_the_gates_again(corpus: Material) -> None:
    result = quiz(corpus, 50, seed=5)
    gates = QualityGates(ALL_TYPES)
    assert [gates.admit(q) for q in result.questions] == [None] * len(result.questions)


def test_same_seed_same_quiz_other_seed_other_quiz(corpus: Material) -> None:
    first, again, other = quiz(corpus, 15, seed=42), quiz(material_of(PAGES), 15, seed=42), quiz(corpus, 15, seed=43)
    assert first.questions == again.questions
    assert [q.prompt for q in first.questions] != [q.prompt for q in other.questions]


@pytest.mark.parametrize("difficulty", list(Difficulty))
def test_every_difficulty_fills_the_quiz(corpus: Material, difficulty: Difficulty) -> None:
    assert len(quiz(corpus, 20, difficulty=difficulty).questions) == 20


def test_too_little_text_gives_fewer_questions_and_says_why() -> None:
    material = material_of(["Mitochondria are the organelles where aerobic respiration takes place in the cell."])
    result = quiz(material, 10)
    assert 1 <= len(result.questions) < 10
    assert "not 10" in result.shortfall_reason


def test_no_usable_text_gives_no_question_and_a_reason() -> None:
    result = quiz(material_of(["Chapter 1\n\nPage 1", "Figure 2: a cell.\nReferences"]), 5)
    assert result.questions == []
    assert "no complete sentence" in result.shortfall_reason


def test_short_answers_alone_may_fall_short_then_other_types_fill_in(corpus: Material) -> None:
    result = quiz(corpus, 12, (QuestionType.SHORT_ANSWER, QuestionType.FILL_IN_THE_BLANK))
    assert len(result.questions) == 12
    shorts = sum(q.type == QuestionType.SHORT_ANSWER for q in result.questions)
    if shorts < 6:
        assert any("short answer" in note for note in result.notes)
