from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexing.chunking import Span, chunk_key, split_pages

WORDS = st.text(alphabet="abcdefghij", min_size=1, max_size=12)
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "\n", "\n\n", "  ", "\t"])
PAGE = st.lists(st.tuples(WORDS, SEPARATORS), max_size=200).map(lambda parts: "".join(w + s for w, s in parts))


def test_every_chunk_is_exactly_its_slice_of_its_page() -> None:
    pages = [(1, "Alpha beta gamma. " * 100), (2, ""), (3, "   "), (4, "Short page.")]
    spans = split_pages(pages, size=200, overlap=40)
    text = dict(pages)
    assert {s.page_number for s in spans} == {1, 4}
    assert [s.ordinal for s in spans] == list(range(len(spans)))
    for span in spans:
        assert span.text == text[span.page_number][span.char_start : span.char_end]
        assert 0 < len(span.text) <= 200
        assert span.text == span.text.strip()
    assert spans[-1] == Span(len(spans) - 1, 4, 0, 11, "Short page.")


def test_chunks_prefer_sentence_ends_and_overlap() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    spans = split_pages([(7, text)], size=300, overlap=60)
    assert len(spans) > 3
    for first, second in itertools.pairwise(spans):
        assert first.text.endswith(".")  # a sentence end was near enough every time
        assert second.char_start < first.char_end  # they overlap
        assert first.char_end - second.char_start <= 60 + 20
        assert not text[second.char_start - 1].isalnum()  # starts at a word


def test_a_word_longer_than_a_chunk_is_cut() -> None:
    spans = split_pages([(1, "x" * 250)], size=100, overlap=10)
    assert [len(s.text) for s in spans] == [100, 100, 50]
    assert "".join(s.text for s in spans) == "x" * 250  # no word start to overlap from


@pytest.mark.parametrize("size, overlap", [(0, 0), (10, 10), (10, -1)])
def test_bad_settings_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        split_pages([(1, "text")], size, overlap)


def test_keys_are_stable_and_distinct() -> None:
    spans = split_pages([(1, "one two three four five six seven " * 20)], size=50, overlap=10)
    keys = [chunk_key(4, 2, s) for s in spans]
    assert keys == [chunk_key(4, 2, s) for s in split_pages([(1, "one two three four five six seven " * 20)], 50, 10)]
    assert len(set(keys)) == len(keys)
    assert chunk_key(4, 3, spans[0]) != keys[0] and chunk_key(5, 2, spans[0]) != keys[0]


@settings(max_examples=150, deadline=None)
@given(page=PAGE, size=st.integers(5, 120), overlap_fraction=st.floats(0, 0.9))
def test_chunks_cover_the_page_within_bounds(page: str, size: int, overlap_fraction: float) -> None:
    overlap = int(size * overlap_fraction)
    spans = split_pages([(1, page)], size, overlap)
    covered = [False] * len(page)
    for span in spans:
        assert span.text == page[span.char_start : span.char_end]
        assert 0 < len(span.text) <= size
        assert not span.text[0].isspace() and not span.text[-1].isspace()
        for i in range(span.char_start, span.char_end):
            covered[i] = True
    assert all(covered[i] for i, ch in enumerate(page) if not ch.isspace()), "no text is left out"
    starts = [s.char_start for s in spans]
    assert starts == sorted(set(starts)), "chunks move forward"
