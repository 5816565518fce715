"""The user's query: cleaned, checked and parsed once, whatever the backend.

The syntax is the web-search one: words, "quoted phrases", `OR` (capitals, as web search engines
have it) between two terms, `-` before a term to exclude it. Anything else (parentheses, operators,
stray quotes) is just punctuation. A lower-case "or" is a word of the question ("split at every
comma or semicolon"), a stop word: read as the operator it would require one of its neighbours.

Ranked, not boolean: plain words are *scored*, not required. A chunk matches when it has at least
one of the query's informative words (stop words and question words such as "how", "do", "I",
"can" are dropped: `STOP_WORDS`), and ranks by BM25 over them. The operators are *constraints*:
a quoted phrase must be in the chunk, one of the terms of an `a OR b` group must be, and an
excluded term must not. Both backends build their engine's query from this one structure
(SQLite: `fts5_*()`, FTS5 expressions of quoted runs of letters and digits only, so no input can
reach FTS5's own syntax; PostgreSQL: the same words and phrases as tsquery parameters).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..chunking import WORD

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64  # bounds the work (and FTS5's expression depth) a single query can ask for


# PostgreSQL's `english` stop words (tsearch_data/english.stop, which its index leaves out), so that
# SQLite, which indexes every word, ignores the same ones; then the words of a question ("how can
# I ...", "what does ... mean") that say nothing about the subject.
_POSTGRES_ENGLISH = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves what which who whom this that these
those am is are was were be been being have has had having do does did doing a an the and but if
or because as until while of at by for with about against between into through during before after
above below to from up down in out on off over under again further then once here there when where
why how all any both each few more most other some such no nor not only own same so than too very s
t can will just don should now
"""
# (Not "mean", "use" or "work": subjects in some material; BM25 gives common words little weight.)
_QUESTION = """
could would shall may might must cannot whose get got way ways want wanted need needs tell explain
please someone something anything thing things also ok possible happen happens doesn isn aren didn
"""
STOP_WORDS: frozenset[str] = frozenset((_POSTGRES_ENGLISH + _QUESTION).split())


class SearchError(ValueError):
    """A query that cannot be run; the message is for the user (the API answers 400 with it)."""


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase of several
    negated: bool = False
    quoted: bool = False  # "in quotes": a constraint, even of one word

    @property
    def informative(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if w.lower() not in STOP_WORDS)

    def to_fts5(self) -> str:
        return '"' + " ".join(self.words) + '"'


@dataclass(frozen=True)
class KeywordQuery:
    text: str  # the cleaned query
    clauses: tuple[tuple[Term, ...], ...]  # as written: each clause one term, or an `OR` group

    @property
    def scored(self) -> list[str]:
        """The informative words of every wanted term, lower-cased, once each: what BM25 ranks by."""
        seen: dict[str, None] = {}
        for clause in self.clauses:
            for term in clause:
                if not term.negated:
                    seen.update((w.lower(), None) for w in term.informative)
        return list(seen)

    @property
    def occurrences(self) -> list[str]:
        """The scored words as often as the query says them: a word asked twice ("class variables
        and instance variables") weighs twice, as BM25's query-term frequency has it."""
        return [
            w.lower()
            for clause in self.clauses
            for term in clause
            if not term.negated
            for w in term.informative
        ]

    @property
    def required(self) -> list[tuple[Term, ...]]:
        """Groups of which the chunk must match one term each: a quoted phrase (a group of one) and
        the wanted terms of an `OR` group."""
        groups = []
        for clause in self.clauses:
            wanted = tuple(t for t in clause if not t.negated and t.informative)
            if wanted and (len(clause) > 1 or wanted[0].quoted):
                groups.append(wanted)
        return groups

    @property
    def excluded(self) -> list[tuple[Term, ...]]:
        """Groups the chunk must not match all of: `-a` alone, or `-a OR -b` (not both)."""
        return [c for c in self.clauses if all(t.negated for t in c)]

    @property
    def words(self) -> list[str]:
        """The words a match contains (for highlighting)."""
        return self.scored

    def fts5_scored(self) -> str:
        """FTS5's MATCH expression that bm25() ranks: any scored word, none of the excluded groups.
        A clause mixing excluded and wanted terms (`a OR -b`) keeps its wanted ones: FTS5 cannot
        express "or not"."""
        # bm25() sums over the expression's phrases: a word repeated counts as often as it is asked.
        expression = " OR ".join(f'"{w}"' for w in self.occurrences)
        if self.excluded:
            groups = [" AND ".join(t.to_fts5() for t in c) for c in self.excluded]
            expression = f"({expression}) NOT (" + " OR ".join(f"({g})" for g in groups) + ")"
        return expression

    def fts5_required(self) -> str | None:
        """FTS5's expression of the constraints (None when there are none)."""
        if not self.required:
            return None
        return " AND ".join("(" + " OR ".join(t.to_fts5() for t in group) + ")" for group in self.required)


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
    join_next = False  # the previous token was `OR`
    for kind, value, negated in _tokens(text):
        if kind == "or":
            join_next = bool(clauses)
            continue
        words = tuple(WORD.findall(value))
        if not words:
            continue  # punctuation only
        term = Term(words, negated, quoted=kind == "phrase")
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
    query = KeywordQuery(text, tuple(tuple(c) for c in clauses))
    if not query.scored:
        raise SearchError(
            "The query has only common words (such as how, what, the, can): add a word that says what you are looking for."
        )
    return query


def _tokens(text: str) -> list[tuple[str, str, bool]]:
    """(kind, text, negated) with kind "phrase", "word" or "or" (the `OR` operator)."""
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
        kind = "or" if word == "OR" and not negated else "word"
        tokens.append((kind, word, negated))
    return tokens
