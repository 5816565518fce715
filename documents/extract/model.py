"""Value types shared by every extractor: limits, results and errors.

Pure Python (no Django) so that the same objects exist in the worker and in the
isolated child process, and cross between them as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN = "text/markdown"
TEXT = "text/plain"
HTML = "text/html"

SUPPORTED_TYPES: tuple[str, ...] = (PDF, DOCX, MARKDOWN, TEXT, HTML)

#: Called once per extracted page, in page order: (page_number, total_pages or None).
ProgressCallback = Callable[[int, int | None], None]


class ErrorCode(StrEnum):
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    TRUNCATED = "truncated"
    ZIP_BOMB = "zip_bomb"
    TOO_LARGE = "too_large"
    NO_TEXT = "no_text"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    UNSUPPORTED_TYPE = "unsupported_type"
    #: The isolated child died without saying why (a parser bug, most likely).
    CRASHED = "crashed"


class ExtractionError(Exception):
    """Text could not be extracted from a document.

    ``code`` is for programs, ``message`` is for the person who uploaded the file,
    ``permanent`` is True when running the same extraction again cannot help.
    """

    def __init__(self, code: ErrorCode, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.permanent = permanent

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "message": self.message, "permanent": self.permanent}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ExtractionError:
        code, message = ErrorCode(data["code"]), str(data["message"])
        if code is ErrorCode.UNSUPPORTED_TYPE:
            return UnsupportedFileType(message)
        return ExtractionError(code, message, permanent=bool(data["permanent"]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class UnsupportedFileType(ExtractionError):
    """The content is not one of the supported types, or not the type its name claims."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.UNSUPPORTED_TYPE, message)


@dataclass(frozen=True)
class ExtractionLimits:
    """Bounds on the work and memory one extraction may use.

    ``max_pages`` and ``max_chars`` do not fail an extraction: the text is cut there
    and ``ExtractionResult.truncated_at_page`` says so. The others refuse the file.
    ``max_memory_bytes`` is enforced only by ``extract_isolated`` (an address-space
    limit on the child); in-process ``extract`` checks ``timeout_seconds`` between
    pages only, so a parser stuck inside one page is stopped only in isolation.
    """

    max_pages: int = 2000
    max_chars: int = 5_000_000
    #: Total inflated bytes allowed for DOCX zip members, and for PDF Flate streams.
    max_decompressed_bytes: int = 512 * 1024 * 1024
    timeout_seconds: float = 300.0
    max_memory_bytes: int = 2 * 1024 * 1024 * 1024

    def __post_init__(self) -> None:
        for field in fields(self):
            if getattr(self, field.name) <= 0:
                raise ValueError(f"ExtractionLimits.{field.name} must be positive")

    def to_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractionLimits:
        return cls(**data)


@dataclass(frozen=True)
class ExtractedPage:
    number: int  # 1-based
    text: str


@dataclass(frozen=True)
class ExtractionResult:
    """The text of a document, page by page.

    ``pages`` are numbered 1..len(pages) without gaps (a blank PDF page is kept with
    empty text, so numbers match the viewer). ``page_count`` is the number of pages
    the document has, which is more than ``len(pages)`` when the extraction stopped
    at a limit (for a text file bigger than ``max_chars`` can use, only the part read
    is counted); ``truncated_at_page`` is then the last page extracted (and possibly
    cut short), else None. ``word_count`` and ``char_count`` count the extracted text.
    """

    content_type: str
    pages: list[ExtractedPage]
    page_count: int
    word_count: int
    char_count: int
    truncated_at_page: int | None

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages if page.text)
