"""What the generators know of English, from two packages that ship their data in the wheel (so
nothing is downloaded at run time):

- parts of speech: TextBlob's copy of the Pattern tagger (a lexicon of ~100,000 words with their
  usual tag, suffix rules for unknown words, Brill's contextual rules), run over our own tokens;
- how common a word is in general English: `wordfreq` (Zipf scale: log10 of occurrences per
  billion words; "the" 7.7, "data" 5.3, "stream" 4.6, "deflate" 2.6).

Both load lazily, once per process (~0.5 s each), on the first question generated.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache

# Generic: a word this common in general English (Zipf) ...
COMMON_ZIPF = 4.3
# ... that the material uses less than this many times as often (log10) as English does.
SPECIFIC_RATIO = 2.0  # 100x
# Rarer words (Zipf 3.5-4.3) are generic only when the material barely uses them more.
UNCOMMON_ZIPF = 3.5
UNCOMMON_RATIO = 1.3  # 20x
PRIOR_WORDS = 2000


@cache
def _parser():  # type: ignore[no-untyped-def]
    from textblob.en import parser

    return parser


@cache
def _lexicon():  # type: ignore[no-untyped-def]
    from textblob.en import lexicon

    return lexicon


def tags(tokens: Sequence[str]) -> list[str]:
    """Penn Treebank tags (NN, NNS, VBZ, JJ ...) of `tokens`, one per token, in context."""
    if not tokens:
        return []
    return [tag for _, tag in _parser().find_tags(list(tokens))]


@lru_cache(maxsize=65536)
def usual_tag(word: str) -> str | None:
    """The tag the lexicon gives `word` out of context, or None for a word it does not know."""
    tag = _lexicon().get(word)
    if tag is None and word[:1].isupper():
        tag = _lexicon().get(word.casefold())
    return tag


def can_be_noun(word: str) -> bool:
    """Whether `word` may be a noun: the lexicon says so, or does not know the word."""
    tag = usual_tag(word)
    if tag is None:
        return not word.casefold().endswith(("ing", "ly", "ed"))  # unknown "disclaiming": a verb form
    return tag.startswith("NN")


# A word in capitals this common (Zipf) is a word shouted, not an acronym: JUNE, NOTE, SIEGE.
SHOUTED_ZIPF = 3.9


@lru_cache(maxsize=16384)
def shouted_word(token: str) -> bool:
    """Whether an all-capitals token is an ordinary word set in capitals ("JUNE 10.-The heat",
    "NOTE:") rather than an acronym (DNA, HTTP, CPU): the lexicon knows the word in lower case or
    capitalised but not as a capitalised acronym, and it is common English."""
    lexicon = _lexicon()
    if lexicon.get(token) == "NNP":
        return False  # DNA, USA, NASA
    known = lexicon.get(token.casefold()) is not None or lexicon.get(token.capitalize()) is not None
    return known and zipf(token.casefold()) >= SHOUTED_ZIPF


@lru_cache(maxsize=65536)
def zipf(text: str) -> float:
    """How common `text` (a word or phrase) is in general English, on the Zipf scale (0: unseen)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(text, "en"))


def generic(text: str, count: int, total_words: int) -> bool:
    """Whether a word said `count` times in a material of `total_words` words is common English
    rather than a term of this material: common, and not much more frequent here than in
    English at large ("values", "data" in a zlib manual; not "stream", "deflate")."""
    common = zipf(text)
    if common < UNCOMMON_ZIPF or total_words <= 0 or count <= 0:
        return False
    # The material's rate is smoothed by PRIOR_WORDS of text that does not use the word: in a
    # short text any word said twice looks a thousand times over-used.
    ratio = math.log10(count / (total_words + PRIOR_WORDS) * 1e9) - common
    return ratio < (SPECIFIC_RATIO if common >= COMMON_ZIPF else UNCOMMON_RATIO)


def misread(word: str) -> bool:
    """Whether `word` looks like OCR's misreading of an English word: unknown to English as
    written, common once its accents are dropped ("séssion")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return plain != word and zipf(word) < 1.0 and zipf(plain) >= 3.0
