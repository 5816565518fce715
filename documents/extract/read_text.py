"""Plain text: any common encoding; pages at form feeds, else page-sized sections."""

from __future__ import annotations

from pathlib import Path

from .encoding import decode, detect_encoding
from .model import ExtractionLimits, UnsupportedFileType
from .pages import PageSource, normalize_text, split_sections

# A character is at most 4 bytes in any encoding we decode, so this many bytes
# always hold max_chars characters: the rest of a bigger file is never read.
_BYTES_PER_CHAR = 4


def read_bytes(path: Path, limits: ExtractionLimits) -> tuple[bytes, bool]:
    """The file's first bytes, enough for ``max_chars``; and whether that is all of it."""
    budget = limits.max_chars * _BYTES_PER_CHAR
    with open(path, "rb") as file:
        data = file.read(budget + 1)
    return data[:budget], len(data) <= budget


def decode_text(data: bytes, *, complete: bool, declared: str | None = None) -> str:
    encoding = detect_encoding(data, partial=not complete, declared=declared)
    if encoding is None:
        raise UnsupportedFileType("The file does not contain text in any known encoding.")
    return decode(data, encoding, partial=not complete)


def read_text(path: Path, limits: ExtractionLimits) -> tuple[str, bool]:
    data, complete = read_bytes(path, limits)
    return decode_text(data, complete=complete), complete


def open_pages(path: Path, limits: ExtractionLimits) -> PageSource:
    text, complete = read_text(path, limits)
    if "\f" in text:  # the author (or pdftotext) marked the pages
        pages = text.split("\f")
        if pages and not pages[-1].strip():  # a final form feed ends the last page
            pages.pop()
        return PageSource.of(pages, complete)
    return PageSource.of(split_sections(normalize_text(text)), complete)
