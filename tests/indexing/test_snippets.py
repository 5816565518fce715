"""Snippets (the best-matching sentence, words marked by stem) and one result per page."""
from __future__ import annotations

import re
from typing import Any

import pytest

from indexing.search import search
from indexing.search.snippets import EXCERPT_CHARS, excerpt

from .conftest import index, make_document
from .corpus import filler


def test_the_snippet_is_the_sentence_with_most_of_the_query() -> None:
    text = (
        "Compression is mentioned here once. " + filler(1, 60) + " Streams are mentioned here. "
        + filler(2, 40) + " To compress a stream with deflate, pipe it through createDeflate(). " + filler(3, 60)
    )
    snippet = excerpt(text, ["compress", "stream", "deflate"])
    assert "<mark>compress</mark> a <mark>stream</mark> with <mark>deflate</mark>" in snippet
    assert len(re.sub(r"</?mark>", "", snippet)) <= EXCERPT_CHARS + 40
    assert snippet.startswith("…") and snippet.endswith("…")


def test_words_are_marked_by_stem_and_the_text_is_escaped() -> None:
    snippet = excerpt("<b>Compressing</b> streams & compressed files.", ["compression", "stream"])
    assert snippet == "&lt;b&gt;<mark>Compressing</mark>&lt;/b&gt; <mark>streams</mark> &amp; <mark>compressed</mark> files."


def test_a_long_sentence_is_cut_around_its_matches() -> None:
    text = "Start " + " ".join(["word"] * 200) + " the needle is here " + " ".join(["word"] * 200) + "."
    snippet = excerpt(text, ["needle"])
    assert "<mark>needle</mark>" in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert len(re.sub(r"</?mark>", "", snippet)) <= EXCERPT_CHARS + 40


def test_without_a_match_the_snippet_is_the_start() -> None:
    assert excerpt("Nothing matches in this text.", ["zebra"]) == "Nothing matches in this text."
    assert excerpt("Nothing matches.", []) == "Nothing matches."


@pytest.mark.django_db
def test_a_page_is_one_result_its_matching_chunks_merged(user: Any, settings: Any) -> None:
    settings.STUDYAI_INDEXING = {**settings.STUDYAI_INDEXING, "CHUNK_SIZE": 200, "CHUNK_OVERLAP": 30}
    # Page 1 has the word in many small chunks, page 2 once: two results, not one per chunk.
    pages = [" ".join(f"Osmosis fact {i} is stated here." for i in range(30)), "Once: osmosis. " + filler(9, 30)]
    document = make_document(user, "Biology", pages)
    chunks = index(document)
    assert chunks > 5
    results = search(user, "osmosis", limit=10)
    assert results.total == 2 and [h.page_number for h in results.hits].count(1) == 1
    first = next(h for h in results.hits if h.page_number == 1)
    page = pages[0]
    assert first.span_start <= first.char_start < first.char_end <= first.span_end
    assert (first.span_start, first.span_end) == (0, len(page))  # every chunk of the page matched
    assert "<mark>Osmosis</mark>" in first.snippet
