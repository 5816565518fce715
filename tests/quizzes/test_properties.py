"""Property tests: from any text, every question the generator makes passes the gates (checked
again by fresh gates), cites a passage that holds it, and the same input and seed give the same
quiz. Arbitrary text, and text shaped like study notes with its boilerplate."""
from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from quizzes.generators import Difficulty, QuestionType, QuizSpec, generate
from quizzes.generators.gates import QualityGates
from quizzes.generators.text import contains_phrase, fold

from .corpus import PAGES, material_of

WORDS = (
    "the of and in a is are was by to cell energy Calvin cycle membrane glucose oxygen DNA ATP 1789 1953 9.8 "
    "Revolution Paris plate tectonics subduction photosynthesis chlorophyll water vapour leaves Newton force mass "
    "Page Chapter Figure References et al. doi http://x.org [1] (1953) e.g. Dr. é ü 中文 — ... ; : , ( )"
).split()
CORPUS_SENTENCES = [s.strip() + "." for page in PAGES for s in page.replace("\n", " ").split(". ") if s.strip()]

word_salad = st.lists(st.sampled_from(WORDS), min_size=0, max_size=40).map(" ".join)
sentence = st.builds(
    lambda words, end: (" ".join(words)[:1].upper() + " ".join(words)[1:] + end) if words else end,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=25),
    st.sampled_from([".", ".", "!", "?", "", ":"]),
)
notes_page = st.lists(st.one_of(sentence, st.sampled_from(CORPUS_SENTENCES)), min_size=1, max_size=12).map(
    lambda parts: "".join(p + st_sep for p, st_sep in zip(parts, ["\n\n", " ", "\n", " "] * len(parts)))
)
page = st.one_of(notes_page, notes_page, st.text(max_size=600), word_salad)
spec = st.builds(
    QuizSpec,
    num_questions=st.integers(1, 15),
    question_types=st.lists(st.sampled_from(list(QuestionType)), min_size=1, max_size=4, unique=True).map(tuple),
    difficulty=st.sampled_from(list(Difficulty)),
    seed=st.integers(0, 2**31 - 1),
)
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(pages=st.lists(page, min_size=1, max_size=4), spec=spec)
def test_every_generated_question_passes_the_gates(pages: list[str], spec: QuizSpec) -> None:
    material = material_of(pages)
    result = generate(material, spec)
    event("made questions" if result.questions else "made none")
    assert len(result.questions) <= spec.num_questions
    assert bool(result.shortfall_reason) == (len(result.questions) < spec.num_questions)
    gates = QualityGates(spec.question_types)
    for question in result.questions:
        assert gates.admit(question) is None, question
        assert question.passage in material.passages
        assert fold(question.evidence) in fold(question.passage.text)
        if question.type == QuestionType.MULTIPLE_CHOICE:
            assert question.options.count(question.answer) == 1
            assert not any(contains_phrase(o, question.answer) for o in question.options if o != question.answer)
        if question.type != QuestionType.TRUE_FALSE:
            assert contains_phrase(question.passage.text, question.answer)


@PROPERTY
@given(pages=st.lists(notes_page, min_size=1, max_size=3), spec=spec)
def test_same_input_and_seed_same_quiz(pages: list[str], spec: QuizSpec) -> None:
    assert generate(material_of(pages), spec) == generate(material_of(pages), spec)
