"""In-process extraction: dispatch to the format's reader and collect the pages."""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path

from .model import (
    DOCX,
    HTML,
    MARKDOWN,
    PDF,
    TEXT,
    ErrorCode,
    ExtractedPage,
    ExtractionError,
    ExtractionLimits,
    ExtractionResult,
    ProgressCallback,
    UnsupportedFileType,
)
from .pages import PageReader, PageSource, build_result

# Readers are imported on first use: a web or worker process that only sniffs and
# delegates to the isolated child never loads PDFium or lxml.
_READERS = {PDF: "read_pdf", DOCX: "read_docx", MARKDOWN: "read_markdown", TEXT: "read_text", HTML: "read_html"}


def open_pages(path: str | os.PathLike[str], content_type: str, limits: ExtractionLimits) -> PageReader:
    """A reader of the document's pages, to iterate; it applies the limits."""
    started = time.monotonic()
    module = _READERS.get(content_type)
    if module is None:
        raise UnsupportedFileType(f"Extracting text from {content_type!r} files is not supported.")
    reader = importlib.import_module(f"{__package__}.{module}")
    try:
        source: PageSource = reader.open_pages(Path(path), limits)
    except MemoryError as exc:
        raise out_of_memory_error() from exc
    return PageReader(source, limits, started)


def extract(
    path: str | os.PathLike[str],
    content_type: str,
    limits: ExtractionLimits | None = None,
    on_page: ProgressCallback | None = None,
) -> ExtractionResult:
    """Extract the text of ``path`` (of a type `sniff` returned) in this process.

    Raises ExtractionError. Only the time limit is checked here, between pages; use
    `extract_isolated` for untrusted files in a long-lived process.
    """
    limits = limits or ExtractionLimits()
    reader = open_pages(path, content_type, limits)
    pages: list[ExtractedPage] = []
    try:
        for page in reader:
            pages.append(page)
            if on_page is not None:
                on_page(page.number, reader.source.total)
    except MemoryError as exc:
        raise out_of_memory_error() from exc
    return build_result(content_type, pages, reader.source.total, reader.truncated_at_page)


def out_of_memory_error() -> ExtractionError:
    return ExtractionError(
        ErrorCode.OUT_OF_MEMORY,
        "Reading the document needed more memory than allowed, so it was stopped.",
    )
