"""Snippets as safe HTML: the passage's text escaped, the matched words in <mark>…</mark>.

The engines (ts_headline, FTS5 snippet()) mark matches with two private-use characters that
cannot clash with HTML; `to_html` escapes the text and turns those into balanced tags. Semantic
hits, which the keyword engine did not match, get an excerpt with the query's words marked here.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable

START = "\ue000"
STOP = "\ue001"
ELLIPSIS = "…"
EXCERPT_CHARS = 240


def to_html(marked: str) -> str:
    """Escape `marked` and turn its START/STOP characters into <mark> tags (always balanced,
    whatever the stored text contains)."""
    out: list[str] = []
    open_ = False
    for piece in re.split(f"([{START}{STOP}])", marked):
        if piece == START:
            if not open_:
                out.append("<mark>")
            open_ = True
        elif piece == STOP:
            if open_:
                out.append("</mark>")
            open_ = False
        else:
            out.append(html.escape(piece, quote=False))
    if open_:
        out.append("</mark>")
    return "".join(out)


def excerpt(text: str, words: Iterable[str]) -> str:
    """About EXCERPT_CHARS of `text` around the first query word found, with every word of the
    query marked (case-insensitively, as a word prefix, so "cell" marks "cells")."""
    wanted = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, wanted)) + r")\w*", re.IGNORECASE) if wanted else None
    first = pattern.search(text) if pattern else None
    start = 0 if first is None else max(0, first.start() - EXCERPT_CHARS // 3)
    if start:
        start = _word_boundary(text, start)
    end = min(len(text), start + EXCERPT_CHARS)
    if end < len(text):
        end = _word_boundary(text, end)
    piece = text[start:end].strip()
    if pattern:
        piece = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", piece)
    return to_html((ELLIPSIS if start else "") + piece + (ELLIPSIS if end < len(text) else ""))


def _word_boundary(text: str, position: int) -> int:
    """The nearest whitespace at or after `position` (within a short distance), else `position`."""
    found = text.find(" ", position, position + 30)
    return position if found < 0 else found
