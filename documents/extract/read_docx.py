"""DOCX: paragraphs and tables of the main document, in document order.

python-docx opens the package (relationships, content types, an XML parser that
does not expand entities); the text is then read from its body element directly,
so that content controls, tracked insertions and hyperlinks are included, deleted
text and drawings are not, and merged table cells are read once.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from .model import ErrorCode, ExtractionError, ExtractionLimits, UnsupportedFileType
from .pages import PageSource, normalize_text, split_sections

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

# A member this big that inflates more than this many times its compressed size is
# a bomb: real Word XML compresses 5-20x, images and fonts barely at all.
_BOMB_MIN_BYTES = 1024 * 1024
_BOMB_RATIO = 100
_MAX_MEMBERS = 10_000

# Inside a paragraph: text of deleted or moved-away runs, field instructions,
# properties, and drawings/objects (whose text boxes Word stores twice).
_SKIP_INLINE = frozenset(
    _W + tag for tag in ("del", "moveFrom", "rPr", "pPr", "instrText", "delText", "drawing", "pict", "object")
) | {_MC + "AlternateContent"}


class _Break(Enum):
    HARD = "page break typed by the author"
    RENDERED = "page break where Word last laid the page out"


_Item = str | _Break


def open_pages(path: Path, limits: ExtractionLimits) -> PageSource:
    """Pages are Word's own pages when the file records where Word last broke
    them (w:lastRenderedPageBreak, written by Word, which also marks the pages that
    hard breaks start); otherwise page-sized sections that also start at every
    hard page break."""
    check_package(path, limits)
    body = _open_body(path)
    items = list(_blocks(body))
    layout = _Break.RENDERED if _Break.RENDERED in items else _Break.HARD
    chunks: list[list[str]] = [[]]
    for item in items:
        if item is layout:
            chunks.append([])
        elif isinstance(item, str):
            chunks[-1].append(item)
    texts = ["\n\n".join(chunk) for chunk in chunks]
    if layout is _Break.RENDERED:
        return PageSource.of(texts)
    return PageSource.of(section for text in texts for section in split_sections(normalize_text(text)))


def check_package(path: Path, limits: ExtractionLimits) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated.

    The declared sizes are what bound the work: while inflating, zipfile stops
    every member at its declared size and fails its CRC check if the data says
    otherwise, so a member that lies about its size is an error, never a flood.
    """
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExtractionError(ErrorCode.CORRUPT, "The Word file is damaged: it is not a readable zip package.") from exc
    if len(members) > _MAX_MEMBERS:
        raise ExtractionError(
            ErrorCode.ZIP_BOMB, f"The Word file holds {len(members)} parts, far more than a document has."
        )
    for member in members:
        if member.file_size > _BOMB_MIN_BYTES and member.file_size > _BOMB_RATIO * max(member.compress_size, 1):
            raise ExtractionError(
                ErrorCode.ZIP_BOMB,
                f"The Word file is a zip bomb: its part {member.filename!r} would inflate from "
                f"{member.compress_size:,} to {member.file_size:,} bytes.",
            )
    total = sum(member.file_size for member in members)
    if total > limits.max_decompressed_bytes:
        raise ExtractionError(
            ErrorCode.TOO_LARGE,
            f"The Word file unpacks to {total:,} bytes, more than the {limits.max_decompressed_bytes:,} allowed.",
        )
    names = {member.filename for member in members}
    if not {"[Content_Types].xml", "word/document.xml"} <= names:
        raise UnsupportedFileType("The file is a zip archive, not a Word (.docx) document.")


def _open_body(path: Path) -> etree._Element:
    try:
        return docx.Document(str(path)).element.body
    except ValueError as exc:  # python-docx: the main part is not a plain document
        raise UnsupportedFileType(
            "The file is a macro-enabled Word document or a template, not a .docx document; "
            "save it as a Word Document (.docx)."
        ) from exc
    except (PackageNotFoundError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError, EOFError) as exc:
        raise ExtractionError(ErrorCode.CORRUPT, f"The Word file is damaged and cannot be read ({exc}).") from exc


def _blocks(container: etree._Element) -> Iterator[_Item]:
    for child in container:
        if child.tag == _W + "p":
            yield from _paragraph(child)
        elif child.tag == _W + "tbl":
            yield from _table(child)
        elif child.tag == _W + "sdt":  # a content control wrapping blocks
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _blocks(content)
        elif child.tag == _W + "customXml":
            yield from _blocks(child)


def _paragraph(paragraph: etree._Element) -> Iterator[_Item]:
    text: list[str] = []
    for item in _inline(paragraph):
        if isinstance(item, str):
            text.append(item)
        else:
            yield "".join(text)
            yield item
            text = []
    yield "".join(text)


def _inline(element: etree._Element) -> Iterator[_Item]:
    for child in element:
        tag = child.tag
        if tag == _W + "t":
            yield child.text or ""
        elif tag in (_W + "tab", _W + "ptab"):
            yield "\t"
        elif tag == _W + "cr":
            yield "\n"
        elif tag == _W + "br":
            kind = child.get(_W + "type")
            if kind == "page":
                yield _Break.HARD
            elif kind in (None, "textWrapping"):
                yield "\n"
        elif tag == _W + "noBreakHyphen":
            yield "-"
        elif tag == _W + "lastRenderedPageBreak":
            yield _Break.RENDERED
        elif isinstance(tag, str) and tag not in _SKIP_INLINE:
            yield from _inline(child)  # runs, hyperlinks, insertions, fields, smart tags


def _table(table: etree._Element) -> Iterator[_Item]:
    """One line per row, cells joined by " | "; a row where a page starts goes on that page."""
    rows: list[str] = []
    for row in table.iterchildren(_W + "tr"):
        cells: list[str] = []
        breaks: list[_Break] = []
        for cell in row.iterchildren(_W + "tc"):
            parts = []
            for item in _blocks(cell):
                if isinstance(item, str):
                    parts.append(item)
                elif item not in breaks:
                    breaks.append(item)
            cells.append(" ".join(part.strip() for part in parts if part.strip()))
        if breaks and rows:
            yield "\n".join(rows)
            rows = []
        yield from breaks
        rows.append(" | ".join(cell for cell in cells if cell))
    yield "\n".join(rows)
