"""Content sniffing and bounded text extraction for uploaded study material.

Pure Python, no Django: the worker calls `sniff_file` (or `sniff` on an upload's
first bytes) to decide the type, then `extract_isolated` to get the text page by
page in a child process bounded in memory and time.
"""

from .core import extract
from .filenames import make_safe_filename
from .isolation import extract_isolated
from .model import (
    DOCX,
    HTML,
    MARKDOWN,
    PDF,
    SUPPORTED_TYPES,
    TEXT,
    ErrorCode,
    ExtractedPage,
    ExtractionError,
    ExtractionLimits,
    ExtractionResult,
    ProgressCallback,
    UnsupportedFileType,
)
from .sniff import SNIFF_BYTES, sniff, sniff_file

__all__ = [
    "DOCX",
    "HTML",
    "MARKDOWN",
    "PDF",
    "SNIFF_BYTES",
    "SUPPORTED_TYPES",
    "TEXT",
    "ErrorCode",
    "ExtractedPage",
    "ExtractionError",
    "ExtractionLimits",
    "ExtractionResult",
    "ProgressCallback",
    "UnsupportedFileType",
    "extract",
    "extract_isolated",
    "make_safe_filename",
    "sniff",
    "sniff_file",
]
