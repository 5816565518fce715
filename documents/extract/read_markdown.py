"""Markdown: the text without its markup, one page per top-level section.

The source is parsed (CommonMark plus GFM tables and strikethrough) rather than
stripped with regular expressions, so code spans, escapes, entities, link and
image syntax come out as the reader sees them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .model import ExtractionLimits
from .pages import PageSource, normalize_text, split_sections
from .read_html import html_to_text
from .read_text import read_text

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def open_pages(path: Path, limits: ExtractionLimits) -> PageSource:
    """Pages are the sections under the shallowest heading level used at least
    twice (a single "# Title" over many "## Chapter"s splits at the chapters, and
    the title page keeps the introduction); a section longer than a page is cut
    further at paragraph breaks. Without such headings, page-sized sections."""
    source, complete = read_text(path, limits)
    blocks = _blocks(_PARSER.parse(source))
    counts = Counter(level for level, _ in blocks if level)
    split_level = min((level for level, n in counts.items() if n >= 2), default=0)
    sections: list[list[str]] = [[]]
    for level, text in blocks:
        if level and level <= split_level and sections[-1]:
            sections.append([])
        sections[-1].append(text)
    pages = [page for section in sections for page in split_sections(normalize_text("\n\n".join(section)))]
    return PageSource.of(pages, complete)


def _blocks(tokens: Sequence[Token]) -> list[tuple[int, str]]:
    """The text of each block, with its heading level (0 when not a heading)."""
    blocks: list[tuple[int, str]] = []
    heading = 0
    rows: list[str] = []
    cells: list[str] | None = None
    for token in tokens:
        if token.type == "heading_open":
            heading = int(token.tag[1:])
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            if cells is not None:
                cells.append(text)
            else:
                blocks.append((heading, text))
                heading = 0
        elif token.type in ("fence", "code_block"):
            blocks.append((0, token.content))
        elif token.type == "html_block":
            blocks.append((0, html_to_text(token.content)))
        elif token.type == "tr_open":
            cells = []
        elif token.type == "tr_close" and cells is not None:
            rows.append(" | ".join(cells))
            cells = None
        elif token.type == "table_close":
            blocks.append((0, "\n".join(rows)))
            rows = []
    return blocks


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for token in children:
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type == "image":  # its children are the parsed alt text
            parts.append(_inline_text(token.children or []))
        elif token.type == "softbreak":  # the source was wrapped, the paragraph goes on
            parts.append(" ")
        elif token.type == "hardbreak":
            parts.append("\n")
        # html_inline and the *_open/*_close markup tokens carry no text
    return "".join(parts)
