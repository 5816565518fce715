"""Page furniture: running headers and footers, page numbers, "Chapter N" lines. They are not
part of what a page says, yet extractors keep them, and a sentence that runs over a page break
picks them up ("THE SIEGE OF VICKSBURG. 52 however, did not last long").

A line is furniture when it stands at the top or bottom of its page (the first or last two
lines with text) and either is a page-number line ("52", "- 52 -", "Page 3 of 9", "xiv",
"Chapter 4") or, with its digits masked, recurs at the top or bottom of several pages of the same
document. OCR spells a running head a little differently on each page, so recurring lines are
grouped by fuzzy match. Navigation lines count too, wherever they stand: a line of three or more
"Label: value" pairs ("File: gzip.info, Node: Tapes, Next: Problems, Prev: Environment, Up:
Top", the breadcrumbs of an info manual) whose labels each recur on at least as many such lines
as a running head must. Furniture is blanked with spaces, never cut, so that offsets into the
text (citations) still hold.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence

from rapidfuzz import fuzz, process

from .schema import Passage

EDGE_LINES = 2  # lines with text at the top and at the bottom of a page that may be furniture
MIN_PAGES = 3  # a running head recurs on at least this many pages ...
MIN_SHARE = 0.05  # ... and on at least this share of the document's pages
MAX_CHARS = 100  # longer lines are text, not a head
MAX_HEAD_CHARS = 70  # a running head is short: longer edge lines are not compared with each other
SIMILAR = 85  # token-sort ratio (0-100) at which two OCR'd heads are the same head

_LINE = re.compile(r"[^\n]+")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|[ivxlcdm]{1,7}|(?:page|p\.?)\s*\d+(?:\s*(?:of|/)\s*\d+)?|\d+\s*(?:of|/)\s*\d+"
    r"|(?:chapter|part|book|section|lecture|lesson)\s+(?:\d+|[ivxlcdm]+|[a-z]+)\.?)$",
    re.I,
)


# "Label: value, Label: value, Label: value": a breadcrumb, not a sentence.
_NAVIGATION = re.compile(r"^\s*(?:[A-Z][\w.-]*:[^,:]+,\s*){2,}[A-Z][\w.-]*:[^,:]+$")
_LABEL = re.compile(r"(?:^|,)\s*([A-Z][\w.-]*):")
MAX_NAVIGATION_CHARS = 200


def _labels(line: str) -> list[str]:
    """The labels of a navigation line ("file", "node", "next", ...), or [] for any other line."""
    if len(line) > MAX_NAVIGATION_CHARS or line.count(":") < 3 or not _NAVIGATION.match(line):  # (a cheap test first)
        return []
    return [label.casefold() for label in _LABEL.findall(line)]


def _shape(line: str) -> str:
    """A line as its running-head kind: case and digits ignored, punctuation dropped."""
    text = unicodedata.normalize("NFKC", line).casefold()
    text = re.sub(r"\d+", "#", text)
    return " ".join(re.sub(r"[^\w#]+", " ", text).split())


class Furniture:
    """What is furniture in one material; learnt from all of its passages at once."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._edges: set[tuple[int, int, int]] = set()  # (document, page, line start in page)
        self._heads: dict[int, list[str]] = {}  # per document: the shapes of its running heads
        self._labels: dict[int, set[str]] = {}  # per document: the labels of its navigation lines
        pages_of: dict[int, set[int]] = defaultdict(set)
        seen: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for document, page, start, line in self._edge_lines(passages):
            self._edges.add((document, page, start))
            shape = _shape(line)
            if shape and "#" != shape and len(shape) <= MAX_HEAD_CHARS and not _PAGE_NUMBER.match(line.strip()):
                seen[document][shape].add(page)
        # Navigation lines anywhere, each once (passages overlap): (page, offset) per label.
        labelled: dict[int, dict[str, set[tuple[int, int]]]] = defaultdict(lambda: defaultdict(set))
        for passage in passages:
            pages_of[passage.document_id].add(passage.page_number)
            for match in _text_lines(passage.text):
                for label in _labels(match.group().strip()):
                    labelled[passage.document_id][label].add((passage.page_number, passage.char_start + match.start()))
        for document in pages_of:
            needed = max(MIN_PAGES, math.ceil(MIN_SHARE * len(pages_of[document])))
            self._heads[document] = _recurring(seen.get(document, {}), needed)
            self._labels[document] = {label for label, lines in labelled[document].items() if len(lines) >= needed}

    @staticmethod
    def _edge_lines(passages: Sequence[Passage]) -> Iterator[tuple[int, int, int, str]]:
        """The top and bottom lines of each page: from the passage that starts the page and the
        one that ends it (the passage reaching furthest)."""
        first: dict[tuple[int, int], Passage] = {}
        last: dict[tuple[int, int], Passage] = {}
        for passage in passages:
            key = (passage.document_id, passage.page_number)
            if passage.char_start == 0:
                first.setdefault(key, passage)
            if key not in last or passage.char_end > last[key].char_end:
                last[key] = passage
        for key, passage in first.items():
            for match in _text_lines(passage.text)[:EDGE_LINES]:
                yield key[0], key[1], passage.char_start + match.start(), match.group()
        for key, passage in last.items():
            for match in _text_lines(passage.text)[-EDGE_LINES:]:
                yield key[0], key[1], passage.char_start + match.start(), match.group()

    def blank(self, passage: Passage) -> str:
        """The passage's text with its furniture lines replaced by spaces (same length)."""
        heads = self._heads.get(passage.document_id, [])
        navigation = self._labels.get(passage.document_id, set())
        text = passage.text
        pieces: list[tuple[int, int]] = []
        for match in _text_lines(text):
            line = match.group().strip()
            labels = _labels(line) if navigation else []
            if labels and all(label in navigation for label in labels):
                pieces.append((match.start(), match.end()))
                continue
            if len(line) > MAX_CHARS:
                continue
            edge = (passage.document_id, passage.page_number, passage.char_start + match.start()) in self._edges
            if (edge and _PAGE_NUMBER.match(line)) or (heads and _is_head(_shape(line), heads)):
                pieces.append((match.start(), match.end()))
        if not pieces:
            return text
        chars = list(text)
        for start, end in pieces:
            chars[start:end] = " " * (end - start)
        return "".join(chars)

    def cleaned(self, passages: Sequence[Passage]) -> list[Passage]:
        """The passages with furniture blanked (the same passages when there is none)."""
        return [p if (text := self.blank(p)) is p.text else p.model_copy(update={"text": text}) for p in passages]


def _text_lines(text: str) -> list[re.Match[str]]:
    return [m for m in _LINE.finditer(text) if m.group().strip()]


def _recurring(shapes: dict[str, set[int]], needed: int) -> list[str]:
    """Shapes on at least `needed` pages, counting near-identical shapes (OCR) as one: each
    shape's pages are pooled with those of every shape similar to it."""
    names = list(shapes)
    heads = []
    for name in names:
        pages = set(shapes[name])
        if len(pages) < needed:
            for other, _, _ in process.extract(name, names, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR, limit=None):
                pages |= shapes[other]
        if len(pages) >= needed:
            heads.append(name)
    return heads


def _is_head(shape: str, heads: list[str]) -> bool:
    if not shape:
        return False
    if shape in heads:
        return True
    return process.extractOne(shape, heads, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR) is not None
