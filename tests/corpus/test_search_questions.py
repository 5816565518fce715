"""bench/search_questions.json and search_questions_heldout.json, the labelled questions of bench/search_quality.py: enough of them,
over every document, each label still pointing at a page whose text holds its evidence, and
questions in a student's words, not sentences copied from the text."""
from __future__ import annotations

import re
from collections import Counter

from bench.corpus import DOCUMENTS
from bench.search_quality import check_labels, load_all

from .test_corpus import extracted


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def test_at_least_sixty_questions_over_every_document() -> None:
    questions = load_all()
    assert len(questions) >= 60 and len({q.question for q in questions}) == len(questions)
    per_document = Counter(q.document for q in questions)
    assert set(per_document) == {d.slug for d in DOCUMENTS} and min(per_document.values()) >= 5


def test_every_label_points_at_a_page_with_its_evidence() -> None:
    questions = load_all()
    texts = {d.slug: list(extracted(d.slug)) for d in DOCUMENTS}
    check_labels(questions, texts)  # raises SystemExit on a drifted label
    for q in questions:
        assert all(1 <= page <= len(texts[q.document]) for page in q.pages), q


def test_questions_are_not_copied_from_the_text() -> None:
    texts = {d.slug: norm(" ".join(extracted(d.slug))) for d in DOCUMENTS}
    for q in load_all():
        assert norm(q.question) not in texts[q.document], q.question
