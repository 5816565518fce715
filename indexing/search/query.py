"""The user's query: cleaned, checked and parsed once, whatever the backend.

The syntax is the web-search one PostgreSQL's `websearch_to_tsquery` reads: words (all must
match), "quoted phrases", `or` between two terms, `-` before a term to exclude it. Anything else
(parentheses, operators, stray quotes) is just punctuation. PostgreSQL gets the cleaned string
as it is; SQLite gets `to_fts5()`, an FTS5 expression built only from quoted runs of letters and
digits, so no input can reach FTS5's own syntax.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64  # bounds the work (and FTS5's expression depth) a single query can ask for

# Letters and digits: what both engines' tokenizers index (underscore is a separator for both).
_WORD = re.compile(r"[^\W_]+")


class SearchError(ValueError):
    """A query that cannot be run; the message is for the user (the API answers 400 with it)."""


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase of several
    negated: bool = False

    def to_fts5(self) -> str:
        return '"' + " ".join(self.words) + '"'


@dataclass(frozen=True)
class KeywordQuery:
    text: str  # the cleaned query, for websearch_to_tsquery
    clauses: tuple[tuple[Term, ...], ...]  # all clauses must match; within one, any term

    @property
    def words(self) -> list[str]:
        """The words a match contains (for highlighting): those of the terms not excluded."""
        return [w for clause in self.clauses for t in clause if not t.negated for w in t.words]

    def to_fts5(self) -> str:
        """The same query as an FTS5 expression. A clause mixing excluded and wanted terms
        (`a or -b`) keeps its wanted ones: FTS5 cannot express "or not"."""
        wanted = [[t for t in c if not t.negated] for c in self.clauses]
        expression = " AND ".join("(" + " OR ".join(t.to_fts5() for t in c) + ")" for c in wanted if c)
        # `-a or -b` excludes rows with both: NOT (a AND b). Each excluded clause is one such group.
        excluded = [" AND ".join(t.to_fts5() for t in c) for c in self.clauses if all(t.negated for t in c)]
        if excluded:
            expression = f"({expression}) NOT (" + " OR ".join(f"({e})" for e in excluded) + ")"
        return expression


def clean(raw: str) -> str:
    """Control characters (NUL included, which PostgreSQL text cannot hold) become spaces."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in raw).strip()
    if not text:
        raise SearchError("Enter something to search for.")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(f"The query is too long: at most {MAX_QUERY_CHARS} characters.")
    return text


def parse(raw: str) -> KeywordQuery:
    text = clean(raw)
    clauses: list[list[Term]] = []
    join_next = False  # the previous token was `or`
    for kind, value, negated in _tokens(text):
        if kind == "or":
            join_next = bool(clauses)
            continue
        words = tuple(_WORD.findall(value))
        if not words:
            continue  # punctuation only
        term = Term(words, negated)
        if join_next:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        join_next = False
    terms = sum(len(c) for c in clauses)
    if terms == 0:
        raise SearchError("The query has no words to search for.")
    if terms > MAX_TERMS:
        raise SearchError(f"The query has too many terms: at most {MAX_TERMS}.")
    if all(t.negated for c in clauses for t in c):
        raise SearchError("The query only excludes words: add at least one word to search for.")
    return KeywordQuery(text, tuple(tuple(c) for c in clauses))


def _tokens(text: str) -> list[tuple[str, str, bool]]:
    """(kind, text, negated) with kind "phrase", "word" or "or", as websearch_to_tsquery reads them."""
    tokens: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            close = text.find('"', i + 1)
            end = n if close < 0 else close  # an unclosed quote runs to the end
            tokens.append(("phrase", text[i + 1 : end], negated))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = text[start:i]
        kind = "or" if word.lower() == "or" and not negated else "word"
        tokens.append((kind, word, negated))
    return tokens
