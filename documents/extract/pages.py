"""Page assembly shared by all formats: whitespace normalisation, cutting
flowing text into page-sized sections, and applying the page/char limits."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .model import ErrorCode, ExtractedPage, ExtractionError, ExtractionLimits, ExtractionResult

#: About one printed page. Formats without pages (text, HTML, DOCX without layout
#: information) are cut into sections of this size so that citations stay precise.
SECTION_CHARS = 3000

# Controls (except tab and newline), lone surrogates (not encodable as UTF-8),
# non-characters, and invisible format characters that only break words apart.
_DROP = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u00ad\u200b\u2060\ufeff]")
_LINE_SEPARATORS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def normalize_text(text: str) -> str:
    """Collapse runs of spaces, keep line and paragraph breaks, drop what is not text."""
    text = _LINE_SEPARATORS.sub("\n", text)
    text = _DROP.sub("", unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def split_sections(text: str, target: int = SECTION_CHARS) -> list[str]:
    """Cut text into sections of about ``target`` characters at paragraph breaks.

    A paragraph longer than ``target`` is cut at a line, sentence or word boundary.
    """
    sections: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in _PARAGRAPH_BREAK.split(text):
        for piece in _fit(paragraph.strip(), target):
            if current and size + len(piece) > target:
                sections.append("\n\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += len(piece) + 2
    if current:
        sections.append("\n\n".join(current))
    return sections


def _fit(paragraph: str, target: int) -> Iterator[str]:
    while len(paragraph) > target:
        window = paragraph[: target + 1]
        cut = max(window.rfind("\n"), window.rfind(". ") + 1, window.rfind(" "))
        if cut <= target // 2:  # no good boundary: a hard cut beats a tiny piece
            cut = target
        yield paragraph[:cut].strip()
        paragraph = paragraph[cut:].strip()
    if paragraph:
        yield paragraph


@dataclass
class PageSource:
    """What a format reader hands over: the page texts in order, read lazily.

    ``complete`` is False when the reader itself stopped early (it read only the
    part of a file that could fit in ``max_chars``).
    """

    total: int
    texts: Iterator[str]
    complete: bool = True

    @classmethod
    def of(cls, texts: Iterable[str], complete: bool = True) -> PageSource:
        materialised = list(texts)
        return cls(len(materialised), iter(materialised), complete)


@dataclass
class PageReader:
    """Turns a PageSource into numbered, normalised pages within the limits.

    Stops at ``max_pages`` or when ``max_chars`` is reached (cutting that page at a
    word boundary) and records the last page read in ``truncated_at_page``. Raises
    ``timeout`` between pages once ``limits.timeout_seconds`` have passed.
    """

    source: PageSource
    limits: ExtractionLimits
    started: float  # time.monotonic() when the extraction began
    truncated_at_page: int | None = None

    def __iter__(self) -> Iterator[ExtractedPage]:
        remaining = self.limits.max_chars
        number = 0
        try:
            for raw in self.source.texts:
                if time.monotonic() - self.started > self.limits.timeout_seconds:
                    raise timeout_error(self.limits)
                number += 1
                text = normalize_text(raw)
                if len(text) >= remaining and (len(text) > remaining or number < self.source.total):
                    yield ExtractedPage(number, _cut_at_word(text, remaining))
                    self.truncated_at_page = number
                    return
                remaining -= len(text)
                yield ExtractedPage(number, text)
                if number >= self.limits.max_pages and number < self.source.total:
                    self.truncated_at_page = number
                    return
            if not self.source.complete:
                self.truncated_at_page = number
        finally:
            close = getattr(self.source.texts, "close", None)
            if close is not None:  # lets a lazy reader release its document now
                close()


def _cut_at_word(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[: cut if cut > limit // 2 else limit].rstrip()


def timeout_error(limits: ExtractionLimits) -> ExtractionError:
    return ExtractionError(
        ErrorCode.TIMEOUT,
        f"Reading the document took longer than {limits.timeout_seconds:g} seconds, so it was stopped.",
    )


def build_result(
    content_type: str, pages: list[ExtractedPage], page_count: int, truncated_at_page: int | None
) -> ExtractionResult:
    """Assemble the result; a document without any text is an error, not a result."""
    if not any(page.text for page in pages):
        where = f"the first {len(pages)} pages" if truncated_at_page else "it"
        raise ExtractionError(
            ErrorCode.NO_TEXT,
            f"No text could be found in {where}. If it is a scan or contains only images, it needs OCR before upload.",
        )
    return ExtractionResult(
        content_type=content_type,
        pages=pages,
        page_count=page_count,
        word_count=sum(len(page.text.split()) for page in pages),
        char_count=sum(len(page.text) for page in pages),
        truncated_at_page=truncated_at_page,
    )
