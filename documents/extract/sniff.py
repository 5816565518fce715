"""Deciding a file's type from its content, and refusing names that lie.

The content decides: PDF by its %PDF- signature, DOCX by a zip package holding
word/document.xml, HTML by the markup it starts with (the WHATWG sniffing
patterns), anything else that decodes as text is text. The name only chooses
Markdown over plain text, and must not claim another type than the content's.
Binary types we do not support are named with the `filetype` library so the
person learns what the file really is.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import IO

import filetype

from .encoding import decode, detect_encoding
from .filenames import split_extension
from .model import DOCX, HTML, MARKDOWN, PDF, TEXT, UnsupportedFileType

#: How much of the start of a file `sniff` needs.
SNIFF_BYTES = 8192

_CLAIMS = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".txt": TEXT,
    ".text": TEXT,
    ".htm": HTML,
    ".html": HTML,
    ".xhtml": HTML,
}
_TEXT_TYPES = frozenset({MARKDOWN, TEXT, HTML})
_DESCRIPTIONS = {
    PDF: "a PDF document",
    DOCX: "a Word (.docx) document",
    MARKDOWN: "Markdown text",
    TEXT: "text",
    HTML: "an HTML page",
}
_SUPPORTED = "Supported files are PDF, Word (.docx), Markdown, plain text and HTML."
_DOCX_PARTS = frozenset({"[Content_Types].xml", "word/document.xml"})
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc/.xls/.ppt and encrypted Office files
# WHATWG MIME sniffing, "rules for identifying an unknown MIME type": HTML starts
# with one of these tags (after whitespace; we also allow an XML declaration).
_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?"
    r"(?:<!--|<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p)[\s>])",
    re.IGNORECASE,
)


def sniff(head: bytes, filename: str) -> str:
    """The content type of a file from its first bytes (``SNIFF_BYTES`` of them, or all).

    Raises UnsupportedFileType, saying what the content is and what the name claims,
    when the content is not supported or the name's extension claims another type.
    Given only a prefix, a zip is judged by its first entries; `sniff_file` and the
    DOCX extractor read its directory.
    """
    return _sniff(head, filename, io.BytesIO(head))


def sniff_file(path: Path, filename: str) -> str:
    """`sniff` for a stored file, reading a zip's directory to tell DOCX from other zips."""
    with open(path, "rb") as file:
        head = file.read(SNIFF_BYTES)
    return _sniff(head, filename, path)


def _sniff(head: bytes, filename: str, package: IO[bytes] | Path) -> str:
    name = _display_name(filename)
    if not head:
        raise UnsupportedFileType(f"{name} is empty.")
    extension = split_extension(filename)[1].lower()
    claimed = _CLAIMS.get(extension)
    found, description = _detect(head, package)
    says = _DESCRIPTIONS[claimed] if claimed else f"a {extension} file"
    if found is None:
        if claimed:
            raise UnsupportedFileType(f"{name} is {description}, not {says} as its name says. {_SUPPORTED}")
        raise UnsupportedFileType(f"{name} is {description}, which is not supported. {_SUPPORTED}")
    if found in _TEXT_TYPES:
        if (claimed is None and not _claims_binary(extension)) or claimed in _TEXT_TYPES:
            if claimed == MARKDOWN:
                return MARKDOWN
            return HTML if HTML in (found, claimed) else TEXT
    elif (claimed is None and not _claims_binary(extension)) or claimed == found:
        return found
    raise UnsupportedFileType(
        f"{name} contains {description}, but its name says it is {says}. Rename it or upload the right file."
    )


def _detect(head: bytes, package: IO[bytes] | Path) -> tuple[str | None, str]:
    """(supported content type or None, a description for people)."""
    if head.startswith(b"%PDF-"):
        return PDF, _DESCRIPTIONS[PDF]
    if head.startswith(b"PK\x03\x04"):
        return _detect_zip(head, package)
    if head.startswith(_OLE2):
        return None, "an old-format (.doc, .xls, .ppt) or password-protected Office file"
    encoding = detect_encoding(head, partial=True)
    if encoding is not None:
        if _HTML_START.match(decode(head, encoding, partial=True)):
            return HTML, _DESCRIPTIONS[HTML]
        return TEXT, _DESCRIPTIONS[TEXT]
    return None, _describe_binary(head)


def _detect_zip(head: bytes, package: IO[bytes] | Path) -> tuple[str | None, str]:
    try:
        with zipfile.ZipFile(package) as archive:
            is_docx = _DOCX_PARTS <= set(archive.namelist())
    except (zipfile.BadZipFile, OSError):  # only a prefix: judge by the first entries
        kind = filetype.guess(head)
        is_docx = kind is not None and kind.mime == DOCX
    if is_docx:
        return DOCX, _DESCRIPTIONS[DOCX]
    kind = filetype.guess(head)
    if kind is None or kind.mime in ("application/zip", DOCX):
        return None, "a zip archive (not a Word document)"
    return None, _describe_binary(head)


def _describe_binary(head: bytes) -> str:
    kind = filetype.guess(head)
    if kind is None:
        return "binary data of an unknown type"
    return f"a file of type {kind.extension.upper()} ({kind.mime})"


def _claims_binary(extension: str) -> bool:
    """Whether the extension names a binary format (.png, .zip, .exe …); text
    content under an unknown extension (.csv, .log, "Chapter 1.Intro") is fine."""
    return bool(extension) and filetype.get_type(ext=extension[1:]) is not None


def _display_name(filename: str) -> str:
    base = re.split(r"[/\\]", filename)[-1]
    if not base:
        return "The file"
    return f"“{base if len(base) <= 80 else base[:79] + '…'}”"
