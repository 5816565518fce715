"""Candidate sentences: the material read into complete sentences that hold key terms, each
with its occurrences, ranked. Reading is lazy and spread: the generator asks for a batch of
passages at a time, in a seeded order that covers every part of the material early."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .furniture import Furniture
from .schema import Difficulty, KeyTerm, Material, Passage
from .text import WORD, sentence_problem, sentences

# A sentence that starts with one of these means what the sentence before it says ("It takes
# place in ...", "Thus, ..."), and so does one holding a phrase of REFERS_BACK ("the work thus
# licensed"): such a sentence is asked about only with the sentence before it as its lead.
POINTING_BACK = frozenset(
    """it its this these those they their them he she his her such there thus hence therefore
    here both either neither latter former""".split()
)
REFERS_BACK = re.compile(
    r"\b(?:thus|hence|therefore|aforementioned|aforesaid|above-mentioned)\b|\b(?:the|as) (?:above|former|latter|same)\b"
    r"|\bmentioned (?:above|earlier|before)\b|\bsee above\b|\bif so\b|\bin (?:this|that|such a|which) case\b"
    # "this" standing for what was said before: "If this is what you want ..."
    r"|\b(?:this|these|those)\s+(?:is|are|was|were|means|does|did|will|would|can|could|may|might|has|have|shows|allows|makes|gives)\b",
    re.I,
)
# A definition: "Meiosis is the cell division that ...", "... is called inertia."
DEFINITION = re.compile(r"^(?:(?:The|A|An) )?(?P<term>[^,;:]+?) (?P<verb>is|are|was|were) (?P<rest>[^,;:]+)\.$")
CALLED = re.compile(r"^(?P<rest>[^,;:]+?) (?P<verb>is|are|was|were) called (?P<term>[^,;:]+)\.$")
_IDEAL_WORDS = 18


# "this", "these", "such" anywhere stand for something said before ("does not interpret this as",
# "this provision", "All of these"), except before a name or the document itself ("this License",
# "this manual") and in "such as", "such that".
_DEICTIC = re.compile(r"\b(?:this|these|those|such)\b(?:\s+(\w+))?", re.I)
_SELF_NOUNS = frozenset(
    """document manual licence license chapter section tutorial guide book specification page article
    appendix standard""".split()
)


def points_back(sentence: str) -> bool:
    """Whether `sentence` needs the one before it to be understood."""
    first = sentence.lstrip("\"'(").split(" ", 1)[0].strip(",.;:").casefold()
    if (first in POINTING_BACK and first not in ("this", "these", "those", "such")) or REFERS_BACK.search(sentence):
        return True
    for match in _DEICTIC.finditer(sentence):
        following = match.group(1) or ""
        if match.group(0)[:4].casefold() == "such" and following.casefold() in ("as", "that"):
            continue
        if not (following[:1].isupper() or following.casefold() in _SELF_NOUNS):
            return True
    return False


@dataclass(frozen=True)
class Occurrence:
    term: KeyTerm
    start: int
    end: int


@dataclass
class Candidate:
    """A usable sentence of the material with the key terms it contains."""

    passage: Passage
    text: str
    occurrences: list[Occurrence]
    order: int
    score: float = 0.0
    lead: str = ""  # the sentence before, when this one points back to it

    @property
    def page(self) -> tuple[int, int]:
        return self.passage.document_id, self.passage.page_number

    @property
    def evidence(self) -> str:
        """What the question rests on: the sentence, after its lead if it has one."""
        return f"{self.lead} {self.text}" if self.lead else self.text


class Reader:
    """Reads passages into candidate sentences on demand: complete sentences holding a key term,
    each once (passages overlap), in an order that covers the whole material early."""

    def __init__(self, material: Material, terms: dict[str, KeyTerm], wanted: int, rng: random.Random) -> None:
        self.passages = material.passages
        furniture = Furniture(material.passages)
        self.texts = [furniture.blank(p) for p in material.passages]  # running heads blanked, offsets kept
        self.finder = TermFinder(terms)
        self.order = _spread(len(self.passages), wanted, rng)
        self.page_count = len({(p.document_id, p.page_number) for p in self.passages}) or 1
        self.position = 0
        self.candidates: list[Candidate] = []
        self._seen_positions: set[tuple[int, int, int]] = set()
        self._seen_texts: set[str] = set()

    @property
    def exhausted(self) -> bool:
        return self.position >= len(self.order)

    def read(self, count: int) -> list[Candidate]:
        found: list[Candidate] = []
        for index in self.order[self.position : self.position + count]:
            found.extend(self._read(index))
        self.position += count
        self.candidates.extend(found)
        return found

    def _read(self, index: int) -> list[Candidate]:
        passage = self.passages[index]
        starts_clean = _starts_sentence(passage, self.passages[index - 1] if index else None)
        found = []
        previous = ""  # the sentence before, when it is a whole statement that stands alone
        for number, sentence in enumerate(sentences(self.texts[index])):
            lead, previous = previous, ""
            if number == 0 and not starts_clean:
                continue  # cut by the chunking: the passage before holds it whole
            problem = sentence_problem(sentence.text)
            pointing = problem is None and points_back(sentence.text)
            if problem is None and not pointing:
                previous = sentence.text
            position = (passage.document_id, passage.page_number, passage.char_start + sentence.start)
            folded = sentence.text.casefold()
            if position in self._seen_positions or folded in self._seen_texts:
                continue
            self._seen_positions.add(position)
            if problem is not None or (pointing and not lead):
                continue
            self._seen_texts.add(folded)
            occurrences = self.finder.find(sentence.text)
            if occurrences or DEFINITION.match(sentence.text) or CALLED.match(sentence.text):
                # Reading order, whatever order passages are read in: questions are listed in it.
                found.append(Candidate(passage, sentence.text, occurrences, order=index * 10_000 + number, lead=lead if pointing else ""))
        return found


def _spread(count: int, wanted: int, rng: random.Random) -> list[int]:
    """Passage indexes in an order that visits every part of the material early: the material
    cut into `wanted` stretches, one passage of each stretch per round, seeded."""
    strata = max(1, min(count, wanted))
    stretches = [list(range(i * count // strata, (i + 1) * count // strata)) for i in range(strata)]
    for stretch in stretches:
        rng.shuffle(stretch)
    return [stretch[r] for r in range(max(map(len, stretches), default=0)) for stretch in stretches if r < len(stretch)]


def _starts_sentence(passage: Passage, previous: Passage | None) -> bool:
    """Whether the passage starts at a sentence start, judging by the text before it (the
    previous passage of the page, which chunks overlap or border)."""
    if passage.char_start == 0 or previous is None or (previous.document_id, previous.page_number) != (passage.document_id, passage.page_number):
        return True
    if previous.char_end < passage.char_start:
        return True  # not overlapping: chunks of paragraphs, parted by white space
    before = previous.text[: max(0, passage.char_start - previous.char_start)].rstrip()
    return not before or before.rstrip("\"')]").endswith((".", "!", "?"))


class TermFinder:
    """Finds key-term occurrences in a sentence, longest match first, not overlapping."""

    def __init__(self, terms: dict[str, KeyTerm]) -> None:
        self.terms = terms
        # First words of terms: a word that starts none is skipped at once.
        self.starts = {key.split(" ", 1)[0] for key in terms}

    def find(self, text: str) -> list[Occurrence]:
        tokens = [(m.start(), m.end(), m.group().casefold().replace(",", "")) for m in WORD.finditer(text)]
        # The possessive 's is not part of the term; the occurrence keeps it out of the blank.
        tokens = [(a, b - 2, t[:-2]) if t.endswith(("'s", "’s")) else (a, b, t) for a, b, t in tokens]
        found: list[Occurrence] = []
        i = 0
        while i < len(tokens):
            if tokens[i][2] not in self.starts:
                i += 1
                continue
            for size in (3, 2, 1):
                part = tokens[i : i + size]
                if len(part) < size or any(b[0] - a[1] != 1 or text[a[1]] != " " for a, b in zip(part, part[1:])):
                    continue
                term = self.terms.get(" ".join(t[2] for t in part))
                if term is not None:
                    found.append(Occurrence(term, part[0][0], part[-1][1]))
                    i += size
                    break
            else:
                i += 1
        return found


def rank(ranked: list[Candidate], new: list[Candidate], difficulty: Difficulty, rng: random.Random) -> list[Candidate]:
    """Best sentences first: key terms held, a readable length, standing on their own. The
    seeded jitter makes another seed pick other sentences. `new` candidates join `ranked`."""
    for candidate in new:
        count = len(WORD.findall(candidate.text))
        distinct = {o.term.key: o.term for o in candidate.occurrences}
        weight = sum(t.score for t in distinct.values())
        if difficulty == Difficulty.EASY:
            weight += 0.05 * sum(min(t.count, 10) for t in distinct.values())
        elif difficulty == Difficulty.HARD:
            weight += 0.2 * sum(1 for t in distinct.values() if t.kind in ("year", "number") or t.count == 1)
        shape = 1 / (1 + abs(count - _IDEAL_WORDS) / _IDEAL_WORDS)
        context = 0.5 if candidate.lead else 1.0
        candidate.score = weight * shape * context * (0.75 + 0.5 * rng.random())
    return sorted([*ranked, *new], key=lambda c: (-c.score, c.order))
