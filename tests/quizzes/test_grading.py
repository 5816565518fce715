"""Lenient matching of typed answers: case, spacing, punctuation, accents, a leading article and
small typos are forgiven; numbers and real mistakes are not."""
from __future__ import annotations

import pytest

from quizzes.grading import normalize, text_match


@pytest.mark.parametrize(
    ("given", "expected", "how"),
    [
        ("Calvin cycle", ["Calvin cycle"], "exact"),
        ("  the CALVIN-cycle!! ", ["Calvin cycle"], "lenient"),
        ("calvin   cycle", ["Calvin cycle"], "lenient"),
        ("Pax Romána", ["Pax Romana"], "lenient"),
        ("An isotope", ["isotope"], "lenient"),
        ("photosynthsis", ["photosynthesis"], "typo"),  # one letter missing
        ("tranpsiration", ["transpiration"], "typo"),  # two edits (a swap) in a long word
        ("mitochondria", ["Mitochondria", "mitochondrion"], "lenient"),
        ("1,789", ["1789"], "lenient"),
        ("1798", ["1789"], ""),  # a typo in a number is another number
        ("gene", ["gas"], ""),
        ("DNB", ["DNA"], ""),  # too short to forgive a typo
        ("respiration", ["transpiration"], ""),
        ("", ["water"], ""),
        ("!!!", ["water"], ""),
    ],
)
def test_text_match(given: str, expected: list[str], how: str) -> None:
    assert text_match(given, expected) == how


def test_normalize() -> None:
    assert normalize("The  Calvin-cycle!") == "calvin cycle"
    assert normalize("Éléphant") == "elephant"
    assert normalize("9.8") == normalize(" 9.8 ")
