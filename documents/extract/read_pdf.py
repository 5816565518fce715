"""PDF: text per page with PDFium (pypdfium2), after cheap checks that refuse
truncated files and decompression bombs before PDFium sees them."""

from __future__ import annotations

import mmap
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .model import ErrorCode, ExtractionError, ExtractionLimits
from .pages import PageSource

# Readers accept the end-of-file marker anywhere in the last 1024 bytes.
_EOF_WINDOW = 1024
# "stream" followed by its end-of-line starts the data of a stream object
# ("endstream" does not count). The dictionary before it is looked for this far back.
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
_OBJECT_START = re.compile(rb"\d+\s+\d+\s+obj\b")
_DICT_WINDOW = 4096
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_CHUNK = 1024 * 1024
# Compressed input is fed in small slices: a 1 MiB slice per stream was most of the check's time.
_INPUT_SLICE = 64 * 1024


def open_pages(path: Path, limits: ExtractionLimits) -> PageSource:
    """All pages of the document, read one at a time; text is what PDFium lays out."""
    check_file(path, limits)
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise _open_error(exc) from exc
    return PageSource(total=len(document), texts=_page_texts(document))


def _page_texts(document: pdfium.PdfDocument) -> Iterator[str]:
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    yield textpage.get_text_bounded()
                finally:
                    textpage.close()
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise ExtractionError(ErrorCode.CORRUPT, f"A page of the PDF is damaged and cannot be read ({exc}).") from exc
    finally:
        document.close()


def _open_error(exc: pdfium.PdfiumError) -> ExtractionError:
    if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return ExtractionError(
            ErrorCode.ENCRYPTED,
            "The PDF is protected by a password. Remove the protection (print or save it "
            "as an unprotected PDF) and upload it again.",
        )
    return ExtractionError(ErrorCode.CORRUPT, "The PDF is damaged and cannot be read.")


def check_file(path: Path, limits: ExtractionLimits) -> None:
    """Refuse a file cut short, and one whose compressed streams inflate beyond
    ``limits.max_decompressed_bytes`` in total (PDFium would inflate each stream
    whole in memory: 300 MB of zeros fit in 300 KB of PDF).

    Every Flate (zlib) stream is inflated here in bounded chunks and counted; its
    output is thrown away. Image streams are not counted, as text extraction does
    not decode them. Streams in other encodings (rarer, smaller gains) are left to
    the memory limit of the isolated process.
    """
    with open(path, "rb") as file:
        file.seek(0, 2)
        if file.tell() == 0:
            raise ExtractionError(ErrorCode.TRUNCATED, "The PDF file is empty.")
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.rfind(b"%%EOF", max(0, len(data) - _EOF_WINDOW)) == -1:
                if _has_object(data):  # PDF content that stops early
                    raise ExtractionError(
                        ErrorCode.TRUNCATED,
                        "The PDF file is incomplete (its end is missing): it was probably cut off "
                        "during upload or download. Please upload the complete file.",
                    )
                raise ExtractionError(ErrorCode.CORRUPT, "The file starts like a PDF, but what follows is not PDF.")
            _check_streams(data, limits.max_decompressed_bytes)


def _has_object(data: mmap.mmap) -> bool:
    start = _OBJECT_START.search(data)
    return start is not None and data.find(b"endobj", start.end()) != -1


def _check_streams(data: mmap.mmap, budget: int) -> None:
    inflated = 0
    for match in _STREAM_START.finditer(data):
        dictionary = data[max(0, match.start() - _DICT_WINDOW) : match.start()]
        if _IMAGE.search(dictionary, dictionary.rfind(b" obj") + 1):
            continue
        inflated += _inflated_size(data, match.end(), budget - inflated)
        if inflated > budget:
            raise ExtractionError(
                ErrorCode.TOO_LARGE,
                f"The PDF's compressed content inflates to more than {budget:,} bytes "
                "(it may be a decompression bomb), so it was not read.",
            )


def _inflated_size(data: mmap.mmap, start: int, allowance: int) -> int:
    """Bytes of zlib output at ``start``, counting no further than ``allowance`` + 1;
    0 if the stream is not zlib data."""
    inflater = zlib.decompressobj()
    produced = 0
    position = start
    try:
        while not inflater.eof and position < len(data) and produced <= allowance:
            pending = data[position : position + _INPUT_SLICE]
            position += len(pending)
            while pending and not inflater.eof and produced <= allowance:
                produced += len(inflater.decompress(pending, _CHUNK))
                pending = inflater.unconsumed_tail
    except zlib.error:
        pass  # not (or no longer) zlib: a stream in another encoding, or damage for PDFium to judge
    return produced
