"""HTML: the readable text, with paragraph breaks where the blocks are.

lxml is used (python-docx depends on it already): its parser copes with tag soup,
and walking start/end events is what lets block elements become breaks.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import lxml.html
from lxml import etree

from .model import ExtractionLimits
from .pages import PageSource, normalize_text, split_sections
from .read_text import decode_text, read_bytes

# Never shown to a reader: code, styling, fallbacks for disabled scripts,
# inert templates, document metadata and embedded graphics.
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "center", "details",
        "dialog", "div", "dl", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "main",
        "nav", "ol", "p", "pre", "section", "summary", "table", "ul",
    }
)  # fmt: skip
_LINE = frozenset({"br", "li", "dt", "dd", "tr", "option"})
_CELL = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def open_pages(path: Path, limits: ExtractionLimits) -> PageSource:
    data, complete = read_bytes(path, limits)
    markup = decode_text(data, complete=complete, declared=_declared_charset(data))
    return PageSource.of(split_sections(html_to_text(markup)), complete)


def html_to_text(markup: str) -> str:
    if not markup.strip():
        return ""
    # Parsed from UTF-8 bytes: lxml refuses a str carrying an XML encoding declaration.
    # Comments go at parse time, so the text after them is kept.
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except etree.ParserError:  # nothing but whitespace or comments
        return ""
    parts: list[str] = []
    in_pre = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "start":
            if tag in _SKIP:
                walker.skip_subtree()
                continue
            in_pre += tag == "pre"
            parts.append(_break_before(element, tag))
            if element.text:
                parts.append(_flow(element.text, in_pre))
        else:
            in_pre -= tag == "pre"
            if tag in _BLOCK:
                parts.append("\n\n")
            if element.tail:
                parts.append(_flow(element.tail, in_pre))
    return normalize_text("".join(parts))


def _break_before(element: etree._Element, tag: str) -> str:
    if tag in _BLOCK:
        return "\n\n"
    if tag in _LINE:
        return "\n"
    if tag in _CELL and element.getprevious() is not None and element.getprevious().tag in _CELL:
        return " | "
    return ""


def _flow(text: str, in_pre: int) -> str:
    """Source line breaks are just spaces, except inside <pre>."""
    return text if in_pre else _WHITESPACE.sub(" ", text)


def _declared_charset(data: bytes) -> str | None:
    """The <meta> charset in the first 1024 bytes, as browsers look for it."""
    match = _META_CHARSET.search(data[:1024])
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    # As browsers do: a page that could declare this in ASCII is not UTF-16/32, and
    # "latin-1"/"ascii" labels mean windows-1252 on the web.
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return "cp1252" if name in ("iso8859-1", "ascii") else name
