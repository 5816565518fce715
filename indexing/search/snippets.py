"""Snippets as safe HTML: the passage's best-matching sentence (with neighbours, up to
EXCERPT_CHARS), the text escaped, the query's words in <mark>…</mark>.

The same code serves every engine and mode, so a snippet does not depend on the database: a word
matches when its English (Snowball) stem is one of the query's, the stemmer PostgreSQL's
`english` configuration uses (SQLite's Porter stemmer differs on a few words: "generous" and
"generate" stem alike there, not here). The best sentence has the most distinct query words, then
the most matches; a long one is cut around its matches.
"""
from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from ..chunking import WORD

ELLIPSIS = "…"
EXCERPT_CHARS = 240
# A sentence ends at . ! ? ; or a blank line (text extracted from PDFs and HTML keeps lines).
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")

_local = threading.local()  # a PyStemmer Stemmer is not safe to share between threads


@lru_cache(maxsize=100_000)  # a snippet stems every word of its chunk; most words come back
def stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return str(stemmer.stemWord(word.lower()))


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    matches: list[tuple[int, int, str]]  # (start, end, stem) of each query word in it


def stems(words: Iterable[str]) -> frozenset[str]:
    return frozenset(stem(w) for w in words if w)


def excerpt(text: str, words: Iterable[str]) -> str:
    """About EXCERPT_CHARS of `text` around its best-matching sentence, every query word marked."""
    wanted = stems(words)
    matches = _matches(text, wanted)
    sentences = _sentences(text, matches)
    if not matches:
        start, end = 0, min(len(text), EXCERPT_CHARS)
    else:
        best = max(sentences, key=lambda s: (len({m[2] for m in s.matches}), len(s.matches), -s.start))
        start, end = _window(text, best, sentences)
    if end < len(text):
        end = _word_end(text, end)
    piece = [(a - start, b - start) for a, b, _ in matches if start <= a and b <= end]
    body = _marked(text[start:end], piece)
    return (ELLIPSIS if start else "") + body + (ELLIPSIS if end < len(text) else "")


def _matches(text: str, wanted: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, stem) of the words of `text` whose stem is wanted. Only the words that begin
    as a wanted stem does (a stem keeps its word's first letters) are found, by one regular
    expression, and stemmed: a tenth of the work of stemming every word."""
    if not wanted:
        return []
    starts = "|".join(sorted({re.escape(w[:3]) for w in wanted}, key=len, reverse=True))
    candidates = re.compile(rf"(?<![^\W_])(?:{starts})[^\W_]*", re.IGNORECASE)
    return [(m.start(), m.end(), s) for m in candidates.finditer(text) if (s := stem(m.group())) in wanted]


def _sentences(text: str, matches: list[tuple[int, int, str]]) -> list[_Sentence]:
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    out, i = [], 0
    for a, b in bounds:
        inside = []
        while i < len(matches) and matches[i][0] < b:
            if matches[i][0] >= a:
                inside.append(matches[i])
            i += 1
        out.append(_Sentence(a, b, inside))
    return out


def _window(text: str, best: _Sentence, sentences: list[_Sentence]) -> tuple[int, int]:
    """The best sentence, cut around its matches when too long, else widened with its neighbours."""
    if best.end - best.start >= EXCERPT_CHARS:
        first, last = best.matches[0][0], best.matches[-1][1]
        centre = (first + min(last, first + EXCERPT_CHARS)) // 2
        start = max(best.start, min(centre - EXCERPT_CHARS // 2, best.end - EXCERPT_CHARS))
        return (_word_start(text, start) if start > best.start else start), start + EXCERPT_CHARS
    start, end = best.start, best.end
    index = sentences.index(best)
    after, before = index + 1, index - 1
    while True:  # the next sentences first (a definition goes on), then the one before
        if after < len(sentences) and sentences[after].end - start <= EXCERPT_CHARS:
            end = sentences[after].end
            after += 1
        elif before >= 0 and end - sentences[before].start <= EXCERPT_CHARS:
            start = sentences[before].start
            before -= 1
        else:
            break
    return start, end


def _marked(piece: str, spans: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for a, b in spans:
        out += [html.escape(piece[at:a], quote=False), "<mark>", html.escape(piece[a:b], quote=False), "</mark>"]
        at = b
    out.append(html.escape(piece[at:], quote=False))
    return "".join(out).strip()


def _word_start(text: str, position: int) -> int:
    """The start of the word after the nearest whitespace at or after `position` (within a short distance)."""
    found = text.find(" ", position, position + 30)
    return position if found < 0 else found + 1


def _word_end(text: str, position: int) -> int:
    """The nearest whitespace at or after `position` (within a short distance), else `position`."""
    found = text.find(" ", position, position + 30)
    return position if found < 0 else found
