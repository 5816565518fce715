"""Text helpers shared by the generators, the gates and grading: sentences with their offsets,
words, folding for comparisons, and telling a real sentence from a fragment or boilerplate."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# A token, one of (first that matches wins, so a code name is never read as its parts):
# - an ordinal (10th, 3rd);
# - a code name: dotted (os.path.join, zlib.createGzip), with an underscore (Z_OK), camelCase
#   (deflateEnd), a version (v2.3.4), joined by colons (node:zlib, std::vector), or letters and
#   digits glued (deflateInit2, 64KB);
# - a word: letters (any script) joined by apostrophes or hyphens;
# - a number like 9.8, 1,000 or 4.6.2.
_ORDINAL = r"\d+(?i:st|nd|rd|th)(?!\w)"
_CODE = r"[vV]\d+(?:\.\d+)+|(?<![/\w])[^\W\d]\w*(?:::?[^\W\d]\w*)+(?=[\s,;.)]|$)|[^\W\d]\w+(?:\.[^\W\d]\w+)+(?:\(\))?|\w*(?:[^\W\d_]\d|\d[^\W\d_]|_)\w*|[a-z]+[A-Z]\w*"
# The first alternative is the common case made fast: a plain word that no ".", ":" or word
# character follows cannot be part of a code name, and is taken without trying the others.
_PLAIN = r"[^\W\d_]++(?:['’-][^\W\d_]+)*+(?![\w.:])"
WORD = re.compile(rf"{_PLAIN}|{_ORDINAL}|{_CODE}|[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,]\d+)*")
_ORDINAL_TOKEN = re.compile(rf"{_ORDINAL}$")
_CAPITALISED_WORD = re.compile(r"\b[^\W\d_a-z]{2,}\b")
_CODE_MARK = re.compile(r"[_.:\d]|[a-z][A-Z]")  # what makes a token that starts with a letter a code name
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‑": "-"})

# Sentence ends: . ! ? (with closing quotes or brackets) before whitespace or the end.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")
_LINE = re.compile(r"\n")
# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf al fig figs no nos vol pp p dr mr mrs ms prof st jr sr approx ca c inc ltd co dept est".split()
)
# A line this short without closing punctuation, followed by a capital, is a heading.
_HEADING_MAX_CHARS = 50

STOPWORDS = frozenset(
    """a about above after again against all almost also although always am among an and another any are
    around as at be became because become becomes been before being below between both but by can cannot
    could did do does doing done down during each either else even ever every few for from further
    had has have having he her here hers herself him himself his how however i if in into is it its itself
    just least less let like made make makes many may me might more most much must my myself near neither
    never no nor not now of off often on once one only onto or other others otherwise our ours ourselves out
    over own per perhaps quite rather same several shall she should since so some such than that the their
    theirs them themselves then there these they this those though through thus to too toward towards under
    until up upon us used uses using very via was we were what when where whether which while who whom whose
    why will with within without would yet you your yours yourself yourselves
    first second third new large small great good high low long short different important main usually
    called known include includes including contain contains become became take takes taking took taken
    way ways part parts kind kinds form forms type types example examples use well still
    later early far half top lot lots thing things something anything nothing according place places
    state states show shows showed shown led lead leads began begin begins become produce produces produced
    means meant gave give gives given put puts set sets get gets got go goes went come comes came
    one two three four five six seven eight nine ten eleven twelve hundred thousand million billion
    bc bce ad ce am pm etc""".split()
)

# Nouns too general to be asked for or offered on their own ("the same _____ of electrons").
GENERIC_NOUNS = frozenset(
    """number numbers group groups amount amounts process processes product products stage stages region regions
    year years action actions result results level levels unit units area areas side sides end ends time times
    structure structures system systems case cases point points order""".split()
)

# Fragments and boilerplate: page furniture, headings, captions, references, links. These run
# on every sentence of a document, so: the line-start kinds in one anchored regex, the others
# only when a cheap substring test says they may match.
_LEADING = re.compile(
    r"(?P<page>(?:page|p\.)\s*\d+\b)"
    r"|(?P<heading>(?:chapter|section|part|unit|lesson|appendix|module)\s+[\dIVXLC]+\b)"
    r"|(?P<caption>(?:figure|fig\.|table|chart|diagram|image|photo|illustration|source)\s*[\d:.])"
    r"|(?P<notice>(?:references|bibliography|further reading|see also|sources|notes|acknowledg|copyright|all rights reserved))",
    re.I,
)
_ANYWHERE = re.compile(
    r"(?P<link>https?://|www\.|\bdoi\b|\bisbn\b|\S@\S)"
    r"|(?P<reference>\[\d+(?:[,–-]\s*\d+)*\]|\bet al\b|\bpp?\.\s*\d|\b[A-Z]\.\s?[A-Z]\.(?:\s?[A-Z]\.)?\s.*\(\d{4}[a-z]?\))"
    r"|(?P<copyright>©|\(c\)\s*\d{4})",
    re.I,
)
# Substrings without which no _ANYWHERE pattern can match (plain `in` tests are cheap).
_ANYWHERE_HINTS = ("http", "www.", "doi", "isbn", "et al", " p.", "pp.")
_ANYWHERE_CHARS = ("[", "@", "©", "(")
_WHAT = {
    "page": "a page number", "heading": "a heading", "caption": "a caption", "notice": "a reference or notice",
    "link": "a link or citation", "reference": "a reference", "copyright": "a copyright notice",
}
_CONTINUATIONS = frozenset({"and", "or", "nor", "but", "which", "whose", "whom"})


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets in the text it was found in
    end: int
    text: str  # whitespace squashed


def squash(text: str) -> str:
    """One space between words, typographic quotes and dashes made plain."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(_QUOTES)).strip()


def fold(text: str) -> str:
    """For comparisons: squashed and case-folded."""
    return squash(text).casefold()


def words(text: str) -> list[str]:
    return WORD.findall(text)


def is_ordinal(token: str) -> bool:
    return _ORDINAL_TOKEN.match(token) is not None


def is_code(token: str) -> bool:
    """Whether a token (as WORD finds them) is a code name rather than a word or a number."""
    if len(token) < 2 or token[0].isdigit() or not (token[0].isalpha() or token[0] == "_"):
        return False  # a number, a quantity such as 64KB, a punctuation mark
    return _CODE_MARK.search(token) is not None


def shouting(text: str) -> bool:
    """Whether `text` is set in capitals (a running head, a title): most of its words, and at
    least three, are upper case."""
    if len(_CAPITALISED_WORD.findall(text)) < 3:
        return False  # the common case, found by one cheap scan
    tokens = [t for t in WORD.findall(text) if not t[:1].isdigit() and len(t) > 1]
    upper = sum(1 for t in tokens if t.isupper())
    return upper >= 3 and upper > 0.6 * len(tokens)


def contains_phrase(haystack: str, needle: str) -> bool:
    """Whether `needle` occurs in `haystack` as whole words, ignoring case and spacing."""
    folded = fold(needle)
    if not folded:
        return False
    return re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", fold(haystack)) is not None


def related(a: str, b: str) -> bool:
    """Two words of the same stem, roughly (photosynthesis / photosynthetic, cell / cells)."""
    a, b = a.casefold(), b.casefold()
    if a == b:
        return True
    shortest = min(len(a), len(b))
    if shortest < 4:
        return False
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return common >= max(4, shortest - 3)


def sentences(text: str) -> Iterator[Sentence]:
    """The sentences of `text` with their offsets, whitespace squashed. Paragraph breaks and
    heading lines end a sentence too; a line break inside a paragraph (a wrapped line) does not."""
    for start, end in sentence_spans(text):
        yield Sentence(start, end, squash(text[start:end]))


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of `text`, surrounding whitespace excluded."""
    for block_start, block_end in blocks(text):
        start = _skip_space(text, block_start, block_end)
        for match in _END.finditer(text, start, block_end):
            if match.start() < start or _is_abbreviation(text, start, match.start(), match.end(), block_end):
                continue
            yield start, match.end()
            start = _skip_space(text, match.end(), block_end)
        end = block_end
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            yield start, end


def blocks(text: str) -> Iterator[tuple[int, int]]:
    """Spans of text split at paragraph breaks and after heading-like lines."""
    start = 0
    for match in _PARAGRAPH.finditer(text):
        yield from _split_headings(text, start, match.start())
        start = match.end()
    yield from _split_headings(text, start, len(text))


def _split_headings(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    line_start = start
    for match in _LINE.finditer(text, start, end):
        line = text[line_start : match.start()].strip()
        following = text[match.end() : match.end() + 1]
        if line and len(line) <= _HEADING_MAX_CHARS and line[-1] not in ".!?,;:-" and not following.islower():
            yield start, match.start()
            start = match.end()
        line_start = match.end()
    if start < end:
        yield start, end


def _is_abbreviation(text: str, start: int, dot: int, after: int, block_end: int) -> bool:
    if text[dot] != "." or after - dot != 1:
        return False
    word_start = dot
    while word_start > start and not text[word_start - 1].isspace():
        word_start -= 1
    bare = text[word_start:dot].strip("(\"'").casefold()
    if bare in _ABBREVIATIONS or (len(bare) == 1 and bare.isalpha()):
        return True
    # A lower-case word or a digit after the period: it did not end the sentence.
    following = _skip_space(text, after, block_end)
    return following < block_end and (text[following].islower() or text[following].isdigit())


def _skip_space(text: str, position: int, end: int) -> int:
    while position < end and text[position].isspace():
        position += 1
    return position


def boilerplate(text: str) -> str | None:
    """What kind of boilerplate `text` is ("a page number", "a reference" ...), or None."""
    match = _LEADING.match(text)
    if match is None and (any(c in text for c in _ANYWHERE_CHARS) or any(h in text.casefold() for h in _ANYWHERE_HINTS)):
        match = _ANYWHERE.search(text)
    return None if match is None else _WHAT[match.lastgroup or "reference"]


def sentence_problem(text: str) -> tuple[str, str] | None:
    """Why `text` cannot be the subject of a question: ("boilerplate" | "fragment", reason), or
    None for a complete, self-standing statement."""
    if not text.isascii() or "  " in text or "\n" in text or "\t" in text:
        text = squash(text)
    what = boilerplate(text)
    if what is not None:
        return "boilerplate", f"the sentence is {what}"
    tokens = words(text)
    if len(tokens) < 6:
        return "fragment", "the sentence is too short to be a statement"
    if len(tokens) > 60:
        return "fragment", "the sentence is too long to be one statement"
    first = text.lstrip("\"'(")[:1]
    if not (first.isupper() or first.isdigit()):
        return "fragment", "the sentence does not start like one"
    if tokens[0].casefold() in _CONTINUATIONS:
        return "fragment", "the sentence continues another one"
    if not text.rstrip("\"')]").endswith((".", "!")):
        return "fragment", "the text is not a complete statement"
    if "..." in text or "…" in text:
        return "fragment", "the sentence is elided"
    letters = sum(len(token) for token in tokens if not token[0].isdigit())
    if letters < 0.6 * (len(text) - text.count(" ")):
        return "fragment", "the sentence is mostly numbers or symbols"
    if not any(token.islower() for token in tokens):
        return "fragment", "the sentence has no ordinary words (a heading or a list of names)"
    if shouting(text):
        return "fragment", "the sentence is set in capitals (a heading or a running head)"
    if text.count("(") != text.count(")") or text.count("[") != text.count("]"):
        return "fragment", "the sentence has unbalanced brackets"
    if text.count('"') % 2:
        return "fragment", "the sentence has unbalanced quotes"
    return None
