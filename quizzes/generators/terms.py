"""Key terms of a document: TF-IDF over its passages.

Candidates are runs of up to three content words (no stop word, no punctuation between them) and
numbers. A term scores its count in the document times its inverse passage frequency, so a term
that recurs in a few passages beats one that is everywhere or said once. Multi-word terms must
recur (that is what makes "Calvin cycle" a term and "plants convert light" not); a lower-case
word must be one the lexicon allows as a noun (`language.can_be_noun`), and a word said once must
look like one (a suffix such as -tion, -ase, -ism). Words common in general English and not much
more common here ("values", "data") are not terms (`language.generic`). Code names (Z_OK,
deflateEnd, os.path.join) are terms on their own. Page furniture is blanked first, and text in
capitals is counted in lower case, so a running head makes no terms. Each term gets a kind
(year, number, code, acronym, name, term), so distractors and swaps can be drawn from terms of
the same kind.

Measured: YAKE (the keyword-extraction library) takes 0.8-1.3 s for a 100-page document, ten
times the extraction of that document; this takes about 30 ms (docs/benchmarks.md, section 5).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from . import language
from .furniture import Furniture
from .schema import KeyTerm, Passage
from .text import STOPWORDS, WORD, blocks, boilerplate, is_code, is_ordinal, sentence_spans, shouting

ALGORITHM_VERSION = 2  # bump when the output changes: cached term tables are recomputed
MAX_WORDS = 3
MAX_TERMS = 400

# Suffixes that mark a noun, so a lower-case word said once may still be a term.
_NOUN_SUFFIXES = (
    "tion", "sion", "ment", "ness", "ity", "ism", "ogy", "ide", "ium", "sis", "cle", "ure",
    "ance", "ence", "ics", "cyte", "ome", "oid", "ship", "hood", "gen",
)
_NOT_NOUN_SUFFIXES = ("ly", "ed", "ing", "ful", "less", "ous", "ive", "able", "ible")
# Words after which a noun phrase starts: evidence that what follows is a noun.
_NOUN_MARKERS = frozenset(
    """the a an this these those its their his her our your each every some any no another of in into from for with by
    on at about between among through during under over within onto across against beneath""".split()
)
_ROMAN_NUMERAL = re.compile(r"^[IVXLCDM]+$")
_MIN_SENTENCE_CHARS = 25  # shorter: a heading, a label, a page number


# Words, numbers (9.8, 1,000), and each punctuation mark, which parts phrases.
_TOKEN = re.compile(WORD.pattern + r"|[^\w\s'’-]")


@dataclass
class _Counts:
    """What counting a document gathers."""

    total: Counter[str] = field(default_factory=Counter)
    passages: Counter[str] = field(default_factory=Counter)
    after_marker: set[str] = field(default_factory=set)  # seen in a run that follows "the", "of" ...
    ends_run: set[str] = field(default_factory=set)  # seen as the last words before a stop word or punctuation
    capitals: Counter[str] = field(default_factory=Counter)  # capitalised words away from a sentence start
    initial: dict[str, str] = field(default_factory=dict)  # a word as first written at a sentence start
    initial_count: Counter[str] = field(default_factory=Counter)
    code: dict[str, str] = field(default_factory=dict)  # a code name as first written (Z_MEM_ERROR)
    calls: Counter[str] = field(default_factory=Counter)  # words written as calls or members: "isinstance(", ".flush"
    words: int = 0  # words counted, for how often a term is said per word of the material


def key_terms(passages: Sequence[Passage], limit: int = MAX_TERMS) -> list[KeyTerm]:
    """The key terms of one document, given its passages in reading order; best first."""
    counts = _Counts()
    passages = Furniture(passages).cleaned(passages)
    n = max(1, len(passages))
    occurrences: list[str] = []
    first: dict[str, int] = {}  # the first and last passage each term is in
    last: dict[str, int] = {}
    previous: Passage | None = None
    for index, passage in enumerate(passages):
        text = passage.text
        # Chunks overlap: the part the previous passage covered is counted once.
        skip = _overlap(previous, passage)
        previous = passage
        countable = " . ".join(_countable(text, skip))
        grams = _count_passage(countable, counts)
        if "(" in countable or " ." in countable:
            counts.calls.update(m.casefold() for m in _CALL.findall(countable))
        occurrences.extend(grams)
        distinct = set(grams)
        counts.passages.update(distinct)
        last.update(dict.fromkeys(distinct, index))
        first.update(dict.fromkeys(distinct - first.keys(), index))
    counts.total = Counter(occurrences)

    spelling = _best_spellings(counts)
    scored: list[tuple[float, str, str]] = []
    for key, count in counts.total.items():
        size = key.count(" ") + 1
        if size > 1 and count < 2:
            continue  # most n-grams: said once, never a term (see _acceptable)
        text = " ".join(spelling.get(word, word) for word in key.split(" ")) if size > 1 else spelling.get(key, key)
        if not _acceptable(text, term_kind(text), size, count, key in counts.after_marker and key in counts.ends_run, counts.words):
            continue
        idf = math.log((1 + n) / (1 + counts.passages[key])) + 1
        scored.append((count * idf * (1 + 0.5 * (size - 1)), key, text))
    scored.sort(key=lambda item: (-item[0], item[1]))
    top = scored[0][0] if scored else 1.0
    return [
        KeyTerm(
            key=key, text=text, kind=_kind(key, text, counts), words=key.count(" ") + 1, count=counts.total[key],
            score=round(score / top, 6), position=round((first[key] + last[key]) / 2 / n, 4),
        )
        for score, key, text in scored[:limit]
    ]


def _countable(text: str, skip: int) -> Iterator[str]:
    """The parts of a passage whose words count: not its first `skip` characters (the previous
    passage counted them), nor headings, page footers, captions, references. Paragraphs are
    taken whole unless something in them looks like boilerplate; then sentence by sentence."""
    for start, end in blocks(text):
        start = max(start, skip)
        if end - start < _MIN_SENTENCE_CHARS:
            continue  # a heading, a label, a page number
        block = text[start:end]
        if boilerplate(block) is None:
            yield _calm(block)
            continue
        for first, last in sentence_spans(block):
            sentence = block[first:last]
            if last - first >= _MIN_SENTENCE_CHARS and boilerplate(sentence) is None:
                yield _calm(sentence)


def _calm(text: str) -> str:
    """Text set in capitals (a title, a shouted heading) in lower case, so that its words count
    as the words they are, not as acronyms ("THE SIEGE OF VICKSBURG")."""
    return text.casefold() if shouting(text) else text


def _overlap(previous: Passage | None, passage: Passage) -> int:
    """How many leading characters of `passage` the previous passage already holds."""
    if previous is None or (previous.document_id, previous.page_number) != (passage.document_id, passage.page_number):
        return 0
    return max(0, min(previous.char_end, passage.char_end) - passage.char_start)


def _count_passage(text: str, counts: _Counts) -> list[str]:
    """Count the terms of `text` (sentences joined by " . "): every n-gram (n <= 3) of each run
    of content words, and every number, in one pass over the tokens. It runs over every word of
    a document, so it keeps to flat lists of strings (no list per run: fewer objects for the
    garbage collector to walk) and leaves the counting to Counter (C)."""
    grams: list[str] = []  # every occurrence of every candidate
    marked: list[str] = []  # ... of those in a run that follows "the", "of" ...
    ends: list[str] = []  # the n-grams that end a run
    w1 = w2 = w3 = ""  # the run's last three words, latest first ("" before its start)
    run_marked = False
    previous: str | None = None  # the word before this token; None after punctuation
    sentence_start = True
    words = 0
    for token in _TOKEN.findall(text):
        first = token[0]
        if not token.isalpha() and (is_code(token) or is_ordinal(token)):
            # A code name is a term on its own, never part of a phrase; an ordinal is neither.
            if w1:
                _end_run(ends, w1, w2, w3)
                w1 = w2 = w3 = ""
            if not is_ordinal(token):
                grams.append(token.casefold())
                counts.code.setdefault(token.casefold(), token)
                words += 1
            previous = token.casefold()
            sentence_start = False
            continue
        if not first.isalnum():
            if w1:
                _end_run(ends, w1, w2, w3)
                w1 = w2 = w3 = ""
            previous = None
            sentence_start = sentence_start or first in ".!?"
            continue
        lowered = token.casefold()
        if lowered[-2:] in ("'s", "’s"):
            lowered = lowered[:-2]  # the class's: the word is "class"
        words += 1
        upper = token.isupper()
        if upper and len(token) > 2 and language.shouted_word(token):
            token, upper = lowered, False  # JUNE is the word june in capitals, no acronym
        if first.isdigit():
            grams.append(lowered.replace(",", ""))
            content = False
        elif upper:
            content = _is_acronym(token) and not _ROMAN_NUMERAL.match(token)
        else:
            content = len(token) >= 3 and lowered not in STOPWORDS
        if content:
            if sentence_start:
                counts.initial.setdefault(lowered, token)
                counts.initial_count[lowered] += 1
            elif first.isupper():
                counts.capitals[token] += 1
            if not w1:
                run_marked = previous in _NOUN_MARKERS
            grams.append(lowered)
            if run_marked:
                marked.append(lowered)
            if w1:
                pair = f"{w1} {lowered}"
                grams.append(pair)
                if run_marked:
                    marked.append(pair)
                if w2:
                    triple = f"{w2} {pair}"
                    grams.append(triple)
                    if run_marked:
                        marked.append(triple)
            w3, w2, w1 = w2, w1, lowered
        elif w1:
            _end_run(ends, w1, w2, w3)
            w1 = w2 = w3 = ""
        previous = lowered
        sentence_start = False
    if w1:
        _end_run(ends, w1, w2, w3)
    counts.after_marker.update(marked)
    counts.ends_run.update(ends)
    counts.words += words
    return grams


def _end_run(ends: list[str], w1: str, w2: str, w3: str) -> None:
    """The run ended after w1: its last word, pair and triple end a run."""
    ends.append(w1)
    if w2:
        ends.append(f"{w2} {w1}")
        if w3:
            ends.append(f"{w3} {w2} {w1}")


def _best_spellings(counts: _Counts) -> dict[str, str]:
    """Each word's usual spelling away from sentence starts: capitalised when it is written so
    more often than not; a word only seen at sentence starts is lower-cased (unless it is an
    acronym). Words absent here are spelt as their key (lower case)."""
    capitalised: Counter[str] = Counter()
    best: dict[str, tuple[int, str]] = {}
    for spelling, count in counts.capitals.items():
        key = spelling.casefold()
        capitalised[key] += count
        if key not in best or count > best[key][0]:
            best[key] = (count, spelling)
    result: dict[str, str] = {}
    for key, (count, spelling) in best.items():
        lower_case = counts.total[key] - capitalised[key] - counts.initial_count[key]
        if count > lower_case:
            result[key] = spelling
    for key, spelling in counts.initial.items():
        if key not in result and key not in best and _is_acronym(spelling):
            result[key] = spelling
    result.update(counts.code)  # code is case-sensitive: zlib.constants.Z_MEM_ERROR as written
    return result


def _acceptable(text: str, kind: str, size: int, count: int, noun_evidence: bool, total_words: int) -> bool:
    """Numbers, acronyms and code names are terms; names too unless they are common words
    ("June"); lower-case words must look like nouns (the lexicon does not rule it out, and a noun
    suffix or recurring after 'the', 'of' ... heading their phrase) and be specific to the
    material, not common English ("values", "data"). Phrases must recur."""
    if kind in ("year", "number", "acronym", "code"):
        return True
    lower = text.casefold()
    head = lower.rsplit(" ", 1)[-1]
    if size == 1 and language.generic(lower, count, total_words):
        return False
    if not lower.isascii() and language.misread(lower):
        return False  # OCR's "séssion"
    if kind == "name":
        # A capitalised word the lexicon knows only as a verb or an adjective is a list item's
        # or a heading's first word ("Declining to grant ..."), not a name.
        return (size == 1 or count >= 2) and language.can_be_noun(head)
    if head.endswith(_NOT_NOUN_SUFFIXES) or not language.can_be_noun(head):
        return False
    if size > 1:
        modifiers = lower.split(" ")[:-1]
        if language.generic(head, count, total_words) and all(language.zipf(w) >= language.COMMON_ZIPF for w in modifiers):
            return False  # "possible values": common words around a common word
        return count >= 2 and noun_evidence
    plural = lower.endswith("s") and lower[:-1].endswith(_NOUN_SUFFIXES)
    return lower.endswith(_NOUN_SUFFIXES) or plural or (count >= 2 and noun_evidence)


def _is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 6 and word.isalpha() and word.isupper() and word.casefold() not in STOPWORDS


# A word written as a call ("isinstance(x)") or a member (".flush"): a code name, though it looks like a word.
_CALL = re.compile(r"\b[A-Za-z_]\w*(?=\()|(?<=\s\.)[A-Za-z_]\w*")


def _kind(key: str, text: str, counts: _Counts) -> str:
    """The term's kind; a word the material mostly writes as a call or a member is code."""
    kind = term_kind(text)
    if kind in ("term", "name") and " " not in key and 2 * counts.calls[key] >= counts.total[key]:
        return "code"
    return kind


_YEAR = re.compile(r"1\d{3}|20\d{2}")


def term_kind(text: str) -> str:
    """year | number | code | acronym | name | term. Total over any text."""
    if not text:
        return "term"
    if _YEAR.fullmatch(text):
        return "year"
    if text[0].isdigit():
        return "number"  # 10.1, 0.10, 1,000, 4.6.2, 64KB
    if " " not in text and is_code(text):
        return "code"
    if " " not in text and _is_acronym(text):
        return "acronym"
    if text[0].isupper():
        return "name"
    return "term"
