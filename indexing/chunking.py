"""Split a document's pages into chunks: passages of bounded size that overlap, each kept within
one page with its exact character offsets, so a search result or a quiz question can cite it.

A chunk's text is always `page_text[char_start:char_end]`. Ends are moved back to a sentence or
word boundary when one is near, so passages read naturally and words are never cut (except a
single "word" longer than the chunk itself).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# A word as both full-text engines index one: a run of letters and digits (underscore separates).
# What a query is split into, what a snippet marks, and what a chunk's length counts.
WORD = re.compile(r"[^\W_]+")

# Where a chunk prefers to end, best first: a paragraph break, a sentence end, any whitespace.
_BOUNDARIES = (re.compile(r"\n\s*\n"), re.compile(r"[.!?;:][\"')\]]?\s"), re.compile(r"\s"))
# Only a boundary in the last part of the window is taken, so chunks stay close to full size.
_MIN_FILL = 0.6


@dataclass(frozen=True)
class Span:
    """One chunk: `text` is `page text[char_start:char_end]` of page `page_number` (1-based)."""

    ordinal: int
    page_number: int
    char_start: int
    char_end: int
    text: str


def count_words(text: str) -> int:
    """A chunk's length for BM25: its words, stop words included, as FTS5 counts its tokens."""
    return len(WORD.findall(text))  # a fifth faster than counting finditer's matches


def chunk_key(document_id: int, generation: int, span: Span) -> str:
    """The stable id of a passage: the same document text and chunk settings give the same key,
    so a re-run finds its own chunks and the database refuses a duplicate."""
    raw = f"{document_id}:{generation}:{span.page_number}:{span.char_start}:{span.char_end}"
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def split_pages(pages: Iterable[tuple[int, str]], size: int, overlap: int) -> list[Span]:
    """Chunks of every page, in page order; `pages` is (page number, text) pairs."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    if not 0 <= overlap < size:
        raise ValueError("chunk overlap must be at least 0 and below the chunk size")
    spans: list[Span] = []
    for number, text in pages:
        for start, end in _windows(text, size, overlap):
            spans.append(Span(len(spans), number, start, end, text[start:end]))
    return spans


def _windows(text: str, size: int, overlap: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each chunk of one page, trimmed of surrounding whitespace."""
    start = _skip_space(text, 0)
    while start < len(text):
        end = _chunk_end(text, start, size)
        trimmed_end = end
        while trimmed_end > start and text[trimmed_end - 1].isspace():
            trimmed_end -= 1
        yield start, trimmed_end
        if end >= len(text) or _skip_space(text, end) >= len(text):
            return
        # The next chunk starts `overlap` characters back, at the start of a word, but always
        # after this one's start, so the loop moves forward.
        next_start = _word_start(text, max(end - overlap, start + 1), end)
        start = _skip_space(text, next_start)


def _chunk_end(text: str, start: int, size: int) -> int:
    limit = start + size
    if limit >= len(text):
        return len(text)
    # One character past the window, so a boundary right at its end counts. Every boundary
    # ends in whitespace, which the caller trims: the chunk itself stays within `size`.
    window = text[start : limit + 1]
    floor = int(size * _MIN_FILL)
    for boundary in _BOUNDARIES:
        last = None
        for match in boundary.finditer(window, floor):
            last = match
        if last is not None:
            return start + last.end()
    return limit  # one word longer than the window: cut it


def _word_start(text: str, position: int, end: int) -> int:
    """The first word start at or after `position` (but not past `end`)."""
    while position < end and not text[position - 1].isspace():
        position += 1
    return position


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position
