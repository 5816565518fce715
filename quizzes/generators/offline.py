"""The default generator: no network, no model. It ranks the material's sentences by the key
terms they hold, spreads its picks over the pages, and turns each picked sentence into one
question of a type still wanted:

- fill in the blank: a key term of the sentence blanked out;
- multiple choice: the same, with distractors that are key terms of the same kind from the same
  material (never the answer, never containing it, of similar form, those the material uses in
  the answer's frame first), each option with an explanation of why it is right or wrong;
- true/false: the sentence as it is (true) or with a key term swapped for one of the same kind
  that the material uses in the same frame and the passage never mentions (false); a term the
  sentence quotes ('gzip') only for one the material quotes too (a program, an option, a file:
  not "appendix");
- short answer: a defining sentence ("Meiosis is the cell division that ...") asked backwards
  ("What is the term for the cell division that ...?").

Every question goes through the gates. Randomness comes from one generator seeded by the quiz's
seed, so the same material and seed give the same quiz.
"""
from __future__ import annotations

import logging
import math
import random
import re
from dataclasses import dataclass, field

from .candidates import CALLED, DEFINITION, Candidate, Occurrence, Reader, rank
from .gates import QualityGates
from .schema import (
    BLANK,
    MAX_PROMPT_CHARS,
    Difficulty,
    Dropped,
    KeyTerm,
    Material,
    Progress,
    QuestionDraft,
    QuestionType,
    QuizSpec,
)
from . import language
from .schema import Passage
from .text import GENERIC_NOUNS, STOPWORDS, WORD, contains_phrase, fold, related, sentence_problem, sentence_spans, squash

logger = logging.getLogger(__name__)

OPTION_COUNT = {Difficulty.EASY: 3, Difficulty.MEDIUM: 4, Difficulty.HARD: 4}
# Words after which a word is a verb rather than a noun.
_BEFORE_VERBS = frozenset("to will can could would may might must should shall which who they it we you i not".split())
# A false statement swaps in a term said at most this far away (a fraction of the document).
MAX_SWAP_DISTANCE = 0.25
MAX_DROPPED = 200
# What a prompt adds around its sentence at most: "Which answer completes the sentence? ", a blank
# longer than the word it hides.
PROMPT_FRAME_CHARS = 50
MAX_FRAME_CHECKS = 40  # candidate swaps and distractors looked up in the material, closest in form first
# A number is asked for only as a count of something ("uses 15 _____" is not asked, "uses _____
# bits" is), and never as a label: after these words it names a figure, a draft, a version.
_NUMBER_LABELS = frozenset(
    """figure fig table draft version release revision rev v page pages p pp section sections chapter step line
    lines rfc item no number level part appendix equation eq listing example note exercise question
    volume vol issue edition article clause paragraph rule option""".split()
)
# A year is asked for after these ("in 1687"), not as a label or a name ("Windows 2000").
_BEFORE_YEARS = frozenset("in since until till by from of during after before around circa c between to and".split())
_LEADING_ZERO = re.compile(r"^0\d")
_DETERMINERS = frozenset("the a an either each every all any this these its their your".split())
# Quotation marks an author puts around names (programs, options, files, fields): 'x', ‘x’, "x",
# “x”, `x`; by style, as authors keep one style for one sort of thing ('gzip' but "copyleft").
_OPENING, _CLOSING = "'‘\"“`", "'’\"”`"
_QUOTE_STYLE = {"'": "single", "‘": "single", '"': "double", "“": "double", "`": "code"}
_QUOTED = re.compile(r"([" + _OPENING + r"])([^" + _OPENING + _CLOSING + r"\n]{1,60})[" + _CLOSING + r"]")
_NOUN_TAGS = ("NN", "NNS", "NNP", "NNPS")

_SECOND_PREDICATE = re.compile(r" and (?!(?:the|a|an|its|their) )")
_DEFINING = re.compile(r"\b(?:that|which|who|whose|where|whereby|of|made|used|for|consisting|containing|between)\b", re.I)
# A word that with the one before it is an idiom, not a concept: "for instance".
_IDIOMS = frozenset(
    phrase.strip()
    for phrase in """for instance|for example|in fact|in general|in particular|of course|in turn|in order|at least|
    in case|in addition|in practice|in effect|as well|in part|on purpose|by default|in common|at once|in time""".split("|")
)


@dataclass
class Outcome:
    questions: list[QuestionDraft] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    shortfall_reason: str = ""
    errors: list[str] = field(default_factory=list)  # candidates skipped because building them failed


def generate(
    material: Material,
    spec: QuizSpec,
    gates: QualityGates,
    wanted: int | None = None,
    progress: Progress | None = None,
    done_before: int = 0,
) -> Outcome:
    """Up to `wanted` (default: all asked) questions admitted by `gates`, in reading order.
    `done_before` questions were made already (by the LLM provider): progress counts on from there.

    Passages are read lazily, in a seeded order spread over the whole material, a batch at a
    time: ten questions from a 100-page book need a few dozen passages, not all of them."""
    wanted = spec.num_questions if wanted is None else wanted
    outcome = Outcome()
    if wanted <= 0:
        return outcome
    rng = random.Random(spec.seed)
    terms = _merge_terms(material)
    reader = Reader(material, terms, wanted, rng)
    builder = _Builder(terms, spec, rng, _Glossary(material.passages, reader.texts))
    quotas = _quotas(spec, wanted, rng)
    ranked: list[Candidate] = []
    admitted: list[tuple[int, QuestionDraft]] = []
    used: set[int] = set()
    per_page: dict[tuple[int, int], int] = {}

    def run_pass(page_cap: int | None, only: QuestionType | None = None) -> None:
        for candidate in ranked:
            if len(admitted) >= wanted:
                return
            if candidate.order in used or (page_cap is not None and per_page.get(candidate.page, 0) >= page_cap):
                continue
            kinds = sorted((t for t in quotas if quotas[t] > 0 and only in (None, t)), key=lambda t: -quotas[t])
            if not kinds:
                return
            for kind in kinds:
                try:
                    draft = builder.build(kind, candidate)
                    rejection = None if draft is None else gates.admit(draft)
                except Exception as exc:  # one odd sentence must never fail the whole quiz
                    logger.exception("building a %s question from %r failed", kind, candidate.text[:200])
                    outcome.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                    continue
                if draft is None:
                    continue
                if rejection is not None:
                    if len(outcome.dropped) < MAX_DROPPED:
                        outcome.dropped.append(Dropped(draft, rejection.gate.value, rejection.reason))
                    continue
                quotas[kind] -= 1
                builder.used_answers.add(fold(draft.answer))
                used.add(candidate.order)
                per_page[candidate.page] = per_page.get(candidate.page, 0) + 1
                admitted.append((candidate.order, draft))
                if progress is not None:
                    progress(done_before + len(admitted), done_before + wanted)
                break

    cap = math.ceil(wanted / reader.page_count)
    batch = max(8, 2 * wanted)
    while True:
        if not reader.exhausted:
            ranked = rank(ranked, reader.read(batch), spec.difficulty, rng)
            batch *= 2
        # Short answers need a defining sentence, which is rare: those sentences go to them
        # first. Questions are spread over the pages before a page gets more than its share.
        run_pass(cap, only=QuestionType.SHORT_ANSWER)
        run_pass(cap)
        if len(admitted) >= wanted or reader.exhausted:
            break
    run_pass(None)
    short_types = [t for t in spec.question_types if quotas.get(t, 0) > 0]
    if short_types and len(admitted) < wanted:
        # Some types ran out of sentences that suit them: the other asked types make up for it.
        missing = wanted - len(admitted)
        quotas = {t: missing for t in spec.question_types}
        run_pass(None)
        outcome.notes.append(
            "Fewer " + " and ".join(t.replace("_", " ") for t in short_types)
            + " questions than planned: the material has too few sentences that suit them, so other asked types make up the difference."
        )
    outcome.questions = [draft for _, draft in sorted(admitted, key=lambda item: item[0])]
    if len(outcome.questions) < wanted:
        outcome.shortfall_reason = _shortfall(len(outcome.questions), wanted, len(reader.candidates), len(outcome.dropped))
    return outcome


def _shortfall(made: int, wanted: int, usable: int, dropped: int) -> str:
    if usable == 0:
        return "The material has no complete sentence with a key term to ask about (too little text, or only headings and fragments)."
    return (
        f"The material yields {made} question(s) of the kinds asked, not {wanted}: it has {usable} usable sentence(s), "
        f"and {dropped} candidate question(s) failed the quality checks."
    )


# ---- material --------------------------------------------------------------------------------


def _merge_terms(material: Material) -> dict[str, KeyTerm]:
    merged: dict[str, KeyTerm] = {}
    for document_terms in material.terms.values():
        for term in document_terms:
            if term.key not in merged or term.score > merged[term.key].score:
                merged[term.key] = term
    return merged


def _quotas(spec: QuizSpec, wanted: int, rng: random.Random) -> dict[QuestionType, int]:
    types = list(dict.fromkeys(spec.question_types))
    base, extra = divmod(wanted, len(types))
    lucky = set(rng.sample(types, extra))
    return {t: base + (1 if t in lucky else 0) for t in types}


# ---- questions -------------------------------------------------------------------------------


class _Glossary:
    """Where the material says each term: its defining sentence when it has one ("Z_OK is ..."),
    else the first sentence that uses it. For explaining why a distractor is wrong."""

    MAX_QUOTE = 280
    MAX_LOOKED = 6  # passages read for a term's definition before settling for its first use

    def __init__(self, passages: list[Passage], texts: list[str]) -> None:
        self.passages = passages
        self.texts = texts  # the passages' text with page furniture blanked
        self._padded: list[str] | None = None
        self._joined: str | None = None
        self._found: dict[str, tuple[int, str, bool] | None] = {}
        self._quoted: frozenset[tuple[str, str]] | None = None

    def _words(self) -> list[str]:
        """Each passage folded, whitespace squashed, a space around: searched with `_has_words`
        (str.find, in C), never tokenised, as it runs over the whole material."""
        if self._padded is None:
            self._padded = [f" {' '.join(text.casefold().split())} " for text in self.texts]
            self._joined = "\n".join(self._padded)
        return self._padded

    def said_with(self, key: str, before: str, after: str) -> bool:
        """Whether the material says `key` right after the word `before` or right before `after`
        (either may be ""): it is used in the same frame, so it is a real alternative there."""
        self._words()
        assert self._joined is not None
        return bool(after and _has_words(self._joined, f"{key} {after}")) or bool(before and _has_words(self._joined, f"{before} {key}"))

    def quoted(self, key: str, style: str) -> bool:
        """Whether the material puts `key` in quotation marks of `style` somewhere ('gzip', "postinst")."""
        if self._quoted is None:
            quoted: set[tuple[str, str]] = set()
            for text in self.texts:
                for match in _QUOTED.finditer(text):
                    words = fold(match.group(2)).split()
                    if words:  # the whole name, and the first word of a quoted command ('gzip -d')
                        quoted |= {(_QUOTE_STYLE[match.group(1)], " ".join(words)), (_QUOTE_STYLE[match.group(1)], words[0])}
            self._quoted = frozenset(quoted)
        return (style, key) in self._quoted

    def said_together(self, a: str, b: str, besides: int) -> bool:
        """Whether some passage other than number `besides` says both `a` and `b` (siblings of a
        list: "Gzip, Deflate and Brotli")."""
        return any(index != besides and _has_words(words, a) and _has_words(words, b) for index, words in enumerate(self._words()))

    def where(self, term: KeyTerm) -> tuple[int, str, bool] | None:
        """(page, sentence, defines it) for `term`, or None when no sentence holds it."""
        if term.key not in self._found:
            self._found[term.key] = self._look_up(term)
        return self._found[term.key]

    def _look_up(self, term: KeyTerm) -> tuple[int, str, bool] | None:
        first: tuple[int, str, bool] | None = None
        looked = 0
        for index, words in enumerate(self._words()):
            if not _has_words(words, term.key):
                continue
            looked += 1
            text = self.texts[index]
            for start, end in sentence_spans(text):
                raw = text[start:end]
                if end - start > self.MAX_QUOTE or term.key not in raw.casefold():
                    continue  # cheap tests first: this runs over many sentences
                sentence = squash(raw)
                if not contains_phrase(sentence, term.key) or sentence_problem(sentence):
                    continue
                match = DEFINITION.match(sentence)
                if match is not None and fold(match.group("term")) == term.key:
                    return self.passages[index].page_number, sentence, True
                if first is None:
                    first = (self.passages[index].page_number, sentence, False)
            if looked >= self.MAX_LOOKED and first is not None:
                break  # enough looking: most terms are defined where they are first used
        return first


class _Builder:
    def __init__(self, terms: dict[str, KeyTerm], spec: QuizSpec, rng: random.Random, glossary: _Glossary) -> None:
        self.spec = spec
        self.rng = rng
        self.glossary = glossary
        self._tags: dict[int, list[tuple[int, int, str]]] = {}
        self.by_kind: dict[str, list[KeyTerm]] = {}
        for term in sorted(terms.values(), key=lambda t: (-t.score, t.key)):
            self.by_kind.setdefault(term.kind, []).append(term)
        self.truths = self._truth_plan()
        self.used_answers: set[str] = set()  # a term is asked for once per quiz

    def build(self, kind: QuestionType, candidate: Candidate) -> QuestionDraft | None:
        if len(_lead(candidate)) + len(candidate.text) + PROMPT_FRAME_CHARS > MAX_PROMPT_CHARS:
            return None  # too long to ask (the schema would refuse it)
        if kind == QuestionType.FILL_IN_THE_BLANK:
            return self.blank(candidate)
        if kind == QuestionType.MULTIPLE_CHOICE:
            return self.multiple_choice(candidate)
        if kind == QuestionType.TRUE_FALSE:
            return self.true_false(candidate)
        return self.short_answer(candidate)

    # -- the four types

    def blank(self, candidate: Candidate) -> QuestionDraft | None:
        occurrence = self._answer(candidate)
        if occurrence is None:
            return None
        return QuestionDraft(
            type=QuestionType.FILL_IN_THE_BLANK,
            prompt=f"{_lead(candidate)}Fill in the blank: {_blanked(candidate.text, occurrence)}",
            answer=occurrence.term.text,
            accepted=_alternatives(candidate.text, occurrence),
            explanation=f"{_source(candidate)} says: \"{candidate.text}\"",
            evidence=candidate.evidence,
            passage=candidate.passage,
        )

    def multiple_choice(self, candidate: Candidate) -> QuestionDraft | None:
        occurrence = self._answer(candidate)
        if occurrence is None:
            return None
        distractors = self._distractors(occurrence.term, OPTION_COUNT[self.spec.difficulty] - 1, candidate)
        if distractors is None:
            return None
        chosen = [occurrence.term, *distractors]
        self.rng.shuffle(chosen)
        return QuestionDraft(
            type=QuestionType.MULTIPLE_CHOICE,
            prompt=f"{_lead(candidate)}Which answer completes the sentence? {_blanked(candidate.text, occurrence)}",
            options=[term.text for term in chosen],
            option_explanations=[self._why(term, occurrence.term, candidate) for term in chosen],
            answer=occurrence.term.text,
            explanation=f"\"{occurrence.term.text}\" completes it: {_source(candidate).lower()} says \"{candidate.text}\"",
            evidence=candidate.evidence,
            passage=candidate.passage,
        )

    def true_false(self, candidate: Candidate) -> QuestionDraft | None:
        if candidate.lead:
            return None  # "It takes place in ..." is neither true nor false on its own
        tagged = self._tagged(candidate)
        if tagged and (tagged[0][2] == "VB" or _subjectless(candidate.text, tagged)):
            return None  # an instruction ("See the licence ...") is neither true nor false
        truth = self.truths[0] if self.truths else True
        statement, explanation = candidate.text, f"True: {_source(candidate).lower()} says so."
        if not truth:
            swapped = self._swap(candidate)
            if swapped is None:
                return None
            statement, original, swap = swapped
            explanation = f"False: {_source(candidate).lower()} says \"{candidate.text}\" ({original}, not {swap})."
        if self.truths:
            self.truths.pop(0)
        return QuestionDraft(
            type=QuestionType.TRUE_FALSE,
            prompt=f"True or false: {statement}",
            answer="true" if truth else "false",
            explanation=explanation,
            evidence=candidate.evidence,
            passage=candidate.passage,
        )

    def short_answer(self, candidate: Candidate) -> QuestionDraft | None:
        definition = _definition(candidate)
        if definition is None:
            return None
        prompt, term = definition
        if fold(term) in self.used_answers:
            return None
        return QuestionDraft(
            type=QuestionType.SHORT_ANSWER,
            prompt=_lead(candidate) + prompt,
            answer=term,
            explanation=f"{_source(candidate)} says: \"{candidate.text}\"",
            evidence=candidate.evidence,
            passage=candidate.passage,
        )

    # -- parts

    def _why(self, option: KeyTerm, answer: KeyTerm, candidate: Candidate) -> str:
        """Why an option is right (the sentence says so) or wrong (what the material says of it)."""
        if option.key == answer.key:
            return f"Right: {_source(candidate).lower()} says \"{_quote(candidate.text)}\""
        found = self.glossary.where(option)
        if found is None:
            return f"Wrong: the sentence on {_source(candidate).lower()} is about {answer.text}, not {option.text}."
        page, sentence, defines = found
        if defines:
            return f"Wrong: {option.text} means something else; page {page} defines it: \"{_quote(sentence)}\""
        return f"Wrong: {option.text} does not fit here; page {page} uses it: \"{_quote(sentence)}\""

    def _tagged(self, candidate: Candidate) -> list[tuple[int, int, str]]:
        """(start, end, part-of-speech tag) of each token of the candidate's sentence."""
        if candidate.order not in self._tags:
            spans = [(m.start(), m.end(), m.group()) for m in WORD.finditer(candidate.text)]
            tags = language.tags([token for _, _, token in spans])
            self._tags[candidate.order] = [(start, end, tag) for (start, end, _), tag in zip(spans, tags)]
        return self._tags[candidate.order]

    def _fits_as_answer(self, candidate: Candidate, occurrence: Occurrence) -> bool:
        """Whether the occurrence is a concept to ask for in this sentence: a noun in context
        (not "read more data"), a number only as a count of a noun that follows it ("_____
        bits", never "Figure _____", "Draft _____"), a year only after "in", "since" ..."""
        term = occurrence.term
        tagged = self._tagged(candidate)
        before = [t for t in tagged if t[1] <= occurrence.start]
        inside = [t for t in tagged if occurrence.start <= t[0] and t[1] <= occurrence.end]
        after = [t for t in tagged if t[0] >= occurrence.end]
        previous = candidate.text[before[-1][0] : before[-1][1]].casefold() if before else ""
        if f"{previous} {term.key}".strip() in _IDIOMS:
            return False  # "For _____, asyncio.Future ...": the blank is "instance" of "for instance"
        if candidate.text[max(0, occurrence.start - 1) : occurrence.start] in ("⟨", "{", "<", "\\") or candidate.text[occurrence.end : occurrence.end + 1] in ("⟩", "}", ">"):
            return False  # a placeholder of a syntax ("⟨_____⟩"), not a concept
        if _hyphenated(candidate.text, occurrence):
            return False  # a piece of a compound ("8-_____ boundary", "_____-compressed"), not a concept
        if term.kind == "number":
            if _LEADING_ZERO.match(term.key) or term.key.count(".") > 1 or not term.key.replace(",", "").replace(".", "").isdigit():
                return False  # a label (02), a version (4.6.2), a quantity glued to its unit (64KB)
            if previous in _NUMBER_LABELS or candidate.text[occurrence.end : occurrence.end + 1] in ".-/:)]":
                return False  # "Figure 2", "2.", "(2)": a label
            if candidate.text[max(0, occurrence.start - 1) : occurrence.start] in "([#":
                return False
            if not after or after[0][2] not in ("NNS", "NN"):
                return False
            following = candidate.text[after[0][0] : after[0][1]]
            return following.isalpha() and following.islower() and following.casefold() not in STOPWORDS
        if term.kind == "year":
            return previous in _BEFORE_YEARS
        if term.kind == "term":
            return bool(inside) and inside[-1][2] in _NOUN_TAGS
        if term.kind in ("name", "acronym"):
            # Written in lower case here ("later license versions"), it is not the name.
            return candidate.text[occurrence.start : occurrence.start + 1].isupper()
        return True

    def _truth_plan(self) -> list[bool]:
        """True and false statements in equal numbers, in a seeded order."""
        count = self.spec.num_questions
        plan = [i % 2 == 0 for i in range(count)]
        self.rng.shuffle(plan)
        return plan

    def _answer(self, candidate: Candidate) -> Occurrence | None:
        """The key term to ask for: said once in the sentence, no other word of the sentence
        shares its stem, and enough of the sentence is left around the blank."""
        total_words = len(WORD.findall(candidate.text))
        eligible = []
        for occurrence in candidate.occurrences:
            term = occurrence.term
            if term.kind == "term" and term.words == 1 and (len(term.key) < 4 or term.key in GENERIC_NOUNS):
                continue
            if term.kind == "term" and _verb_slot(candidate.text[: occurrence.start]):
                continue  # "made it possible to power factories": here the term is a verb
            if term.kind in ("name", "acronym") and _inside_name(candidate.text, occurrence):
                continue  # "_____ Watt" asks for a first name, not for what the sentence is about
            if total_words - term.words < 5 or term.key in self.used_answers or not _said_once(candidate, occurrence):
                continue
            if not self._fits_as_answer(candidate, occurrence):
                continue
            eligible.append(occurrence)
        if not eligible:
            return None
        difficulty = self.spec.difficulty
        if difficulty == Difficulty.EASY:
            eligible.sort(key=lambda o: (-o.term.count, -o.term.score, o.start))
        elif difficulty == Difficulty.HARD:
            eligible.sort(key=lambda o: (o.term.kind not in ("year", "number"), o.term.count, -o.term.score, o.start))
        else:
            eligible.sort(key=lambda o: (-o.term.score * (1 + 0.3 * (o.term.words - 1)), o.start))
        return eligible[0]

    def _distractors(
        self, answer: KeyTerm, count: int, candidate: Candidate, avoid_passage: bool = False, frame: tuple[str, str] | None = None
    ) -> list[KeyTerm] | None:
        """`count` terms of the answer's kind and form, never the answer nor containing it (nor
        contained in it), none in the sentence; closest in form first on hard, looser on easy.
        With `frame` (the words around the answer), only terms the material uses in that frame
        or beside the answer elsewhere: the alternatives a reader would accept as real."""
        # Keys are folded words joined by single spaces: padded, a substring test is a
        # whole-word phrase test.
        padded_answer = f" {answer.key} "
        answer_stems = [w for w in answer.key.split() if len(w) >= 4]
        sentence = _padded_words(candidate.text)
        passage = _padded_words(candidate.passage.text) if avoid_passage else ""
        pool: list[tuple[float, KeyTerm]] = []
        for term in self.by_kind.get(answer.kind, []):
            if term.key == answer.key or abs(term.words - answer.words) > 1 or term.key in GENERIC_NOUNS:
                continue
            if not _same_form(answer, term):
                continue
            padded = f" {term.key} "
            if padded_answer in padded or padded in padded_answer or padded in sentence or (avoid_passage and padded in passage):
                continue
            if answer_stems and any(related(a, b) for a in term.key.split() if len(a) >= 4 for b in answer_stems):
                continue
            pool.append((_distance(answer, term), term))
        pool.sort(key=lambda item: (item[0], item[1].key))
        occurrence = _occurrence_of(candidate, answer)
        style = _quote_style(candidate.text, occurrence)
        if style is not None:
            # A name the author quotes ('gzip') stands only beside names the author quotes alike.
            pool = [item for item in pool if self.glossary.quoted(item[1].key, style)]
        if frame is not None:
            pool = [item for item in pool[:MAX_FRAME_CHECKS] if self._fits_frame(item[1], answer, frame, candidate)]
        else:
            # Terms the material uses in the answer's frame are the most plausible distractors: first.
            around = _neighbours(candidate.text, occurrence)
            head = sorted(pool[:MAX_FRAME_CHECKS], key=lambda item: not self._fits_frame(item[1], answer, around, candidate))
            pool = head + pool[MAX_FRAME_CHECKS:]
        window = {Difficulty.HARD: 1, Difficulty.MEDIUM: 2, Difficulty.EASY: 4}[self.spec.difficulty]
        shortlist = [term for _, term in pool[: max(count, count * window)]]
        chosen: list[KeyTerm] = []
        for term in self.rng.sample(shortlist, len(shortlist)):
            if any(f" {term.key} " in f" {c.key} " or f" {c.key} " in f" {term.key} " for c in chosen):
                continue
            chosen.append(term)
            if len(chosen) == count:
                return sorted(chosen, key=lambda t: t.key)
        return None

    def _fits_frame(self, term: KeyTerm, answer: KeyTerm, frame: tuple[str, str], candidate: Candidate) -> bool:
        before, after = frame
        if before or after:
            return self.glossary.said_with(term.key, before, after)
        return self.glossary.said_together(term.key, answer.key, besides=candidate.order // 10_000)

    def _swap(self, candidate: Candidate) -> tuple[str, str, str] | None:
        """The sentence with one key term replaced by a term of the same kind that the passage
        never mentions, so the statement is false rather than accidentally true."""
        occurrence = self._answer(candidate)
        if occurrence is None:
            return None
        frame = _neighbours(candidate.text, occurrence)
        swaps = self._distractors(occurrence.term, 1, candidate, avoid_passage=True, frame=frame)
        if swaps is None:
            return None
        if occurrence.term.kind in ("term", "name") and abs(swaps[0].position - occurrence.term.position) > MAX_SWAP_DISTANCE:
            return None  # a term from another part of the material makes a statement false at a glance
        swap = swaps[0].text
        before, after = candidate.text[: occurrence.start], candidate.text[occurrence.end :]
        if not before:
            swap = swap[:1].upper() + swap[1:]
        before = _fix_article(before, swap)
        return before + swap + after, candidate.text[occurrence.start : occurrence.end], swap


def _occurrence_of(candidate: Candidate, term: KeyTerm) -> Occurrence:
    for occurrence in candidate.occurrences:
        if occurrence.term.key == term.key:
            return occurrence
    return Occurrence(term, 0, 0)


def _hyphenated(text: str, occurrence: Occurrence) -> bool:
    """Whether a hyphen joins the occurrence to a letter or digit: it is part of a compound."""
    before = text[max(0, occurrence.start - 2) : occurrence.start]
    after = text[occurrence.end : occurrence.end + 2]
    return (len(before) == 2 and before[1] == "-" and before[0].isalnum()) or (
        len(after) == 2 and after[0] == "-" and after[1].isalnum()
    )


def _subjectless(text: str, tagged: list[tuple[int, int, str]]) -> bool:
    """Whether the sentence opens with a verb that has no subject, as an option's or a function's
    description does ("Display the licence then quit", "Removes any leading spaces", "Ranges
    from 0 to 11"): a verb in the third person, or a word the tagger calls a verb or a noun
    followed by a determiner, or a plural one followed by "from" or "to" (the tagger reads
    "Ranges", "Defaults" as nouns). Nothing it says is true or false on its own."""
    if len(tagged) < 2:
        return False
    first, second = tagged[0][2], text[tagged[1][0] : tagged[1][1]].casefold()
    if first == "VBZ":
        return True
    if first in ("VB", "NN", "NNP", "NNS") and second in _DETERMINERS:
        return True
    return first == "NNS" and second in ("from", "to")


def _quote_style(text: str, occurrence: Occurrence) -> str | None:
    """The style of the quotation marks the occurrence opens ('gzip', 'gzip -d': single), or None."""
    if occurrence.start < 1 or occurrence.end <= occurrence.start:
        return None
    before = text[occurrence.start - 1]
    if before in _OPENING and _QUOTED.match(text, occurrence.start - 1):
        return _QUOTE_STYLE[before]
    return None


def _neighbours(text: str, occurrence: Occurrence) -> tuple[str, str]:
    """The content words right before and right after the occurrence (folded; "" for a stop
    word, a number, punctuation in between, or none)."""
    before = [m for m in WORD.finditer(text, 0, occurrence.start)]
    after = WORD.search(text, occurrence.end)

    def content(match: re.Match[str] | None, gap: str) -> str:
        if match is None or gap.strip():
            return ""
        word = match.group().casefold()
        return "" if word in STOPWORDS or not word[:1].isalpha() else word

    previous = content(before[-1], text[before[-1].end() : occurrence.start]) if before else ""
    following = content(after, text[occurrence.end : after.start()]) if after else ""
    return previous, following


def _same_form(answer: KeyTerm, term: KeyTerm) -> bool:
    """Whether `term` can stand where `answer` stands: the same number (singular or plural, so
    the verb still agrees), a length within a factor of 2.5, neither a piece of the other, and
    for numbers the same shape (whole or decimal, no label such as 02 or 4.6.2)."""
    if answer.key in term.key or term.key in answer.key:
        return False  # "z_ok" and "z_ok_x", "data" and "metadata"
    if answer.kind == "number":
        if _LEADING_ZERO.match(term.key) or term.key.count(".") > 1 or not term.key.replace(",", "").replace(".", "").isdigit():
            return False
        return ("." in answer.key) == ("." in term.key)
    if answer.kind == "term" and _plural(answer.key) != _plural(term.key):
        return False
    if answer.kind == "code" and _code_shape(answer.text) != _code_shape(term.text):
        return False  # zlib.constants.Z_OK beside brotli_param_large_window gives the answer away
    shortest, longest = sorted((len(answer.key), len(term.key)))
    return longest <= 2.5 * max(shortest, 3)


def _code_shape(name: str) -> tuple[bool, bool, bool, str]:
    """What a reader sees of a code name's form: dotted, a call, joined by colons, and its case
    (CAPITALS, lower, Mixed)."""
    letters = [c for c in name if c.isalpha()]
    case = "upper" if all(c.isupper() for c in letters) else "lower" if all(c.islower() for c in letters) else "mixed"
    return "." in name.rstrip("()"), name.endswith("()"), ":" in name, case


def _quote(sentence: str) -> str:
    return sentence if len(sentence) <= 300 else sentence[:297].rsplit(" ", 1)[0] + " ..."


def _has_words(haystack: str, phrase: str) -> bool:
    """Whether `phrase` (folded words, one space apart) is in `haystack` (folded, squashed,
    padded with a space) as whole words."""
    start = haystack.find(phrase)
    while start != -1:
        end = start + len(phrase)
        if not haystack[start - 1].isalnum() and (end >= len(haystack) or not haystack[end].isalnum()):
            return True
        start = haystack.find(phrase, start + 1)
    return False


def _padded_words(text: str) -> str:
    """The text's words, folded, one space apart and around: ' the calvin cycle runs '."""
    joined = f" {' '.join(WORD.findall(text.casefold())).replace(',', '')} "
    return joined.replace("'s ", " ").replace("’s ", " ")  # the class's: the word is "class", as in the key


def _verb_slot(before: str) -> bool:
    previous = before.rstrip().rsplit(" ", 1)[-1].casefold() if before.strip() else ""
    return previous in _BEFORE_VERBS


def _inside_name(text: str, occurrence: Occurrence) -> bool:
    """Whether a capitalised word touches the occurrence: it is part of a longer name. (The
    first word of the sentence counts only when it is not a mere "The".)"""
    before = text[: occurrence.start].split()
    touching = text[occurrence.end :].split()[:1]
    if before and not (len(before) == 1 and before[0].casefold() in STOPWORDS):
        touching.append(before[-1])
    return any(word[:1].isupper() for word in touching)


def _said_once(candidate: Candidate, occurrence: Occurrence) -> bool:
    rest = candidate.text[: occurrence.start] + " " + candidate.text[occurrence.end :]
    answer_words = [w for w in occurrence.term.key.split() if len(w) >= 4] or [occurrence.term.key]
    return not contains_phrase(rest, occurrence.term.key) and not any(
        related(word, answer_word) for word in WORD.findall(rest) for answer_word in answer_words
    )


def _distance(answer: KeyTerm, term: KeyTerm) -> float:
    """How far `term` is from the answer in form: words, plural, length, ending, magnitude."""
    if answer.kind in ("year", "number"):
        try:
            a, b = float(answer.key), float(term.key)
        except ValueError:
            return 1e9
        return abs(a - b) / max(1.0, abs(a)) + (("." in answer.key) != ("." in term.key))
    plural = _plural(answer.key) != _plural(term.key)
    # Same ending, same family, often: sodium / potassium / calcium, meiosis / mitosis.
    form = 2 * abs(answer.words - term.words) + 2 * plural + abs(len(answer.key) - len(term.key)) / 4 + (answer.key[-3:] != term.key[-3:]) * 1.5
    # Terms said near the answer are about the same topic: plausible, so preferred.
    return form + 6 * abs(answer.position - term.position)


def _plural(text: str) -> bool:
    last = text.rsplit(" ", 1)[-1]
    return last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _blanked(text: str, occurrence: Occurrence) -> str:
    before = _fix_article(text[: occurrence.start], None)
    return before + BLANK + text[occurrence.end :]


def _fix_article(before: str, word: str | None) -> str:
    """'a'/'an' before the gap must not give the answer's first letter away (or must agree with
    the word put there)."""
    match = re.search(r"\b(a|an|A|An)\s$", before)
    if match is None:
        return before
    capital = match.group(1)[0] == "A"
    if word is None:
        article = "a(n)"
    else:
        article = "an" if word[:1].casefold() in "aeiou" else "a"
    if capital:
        article = article.capitalize()
    return before[: match.start(1)] + article + " "


def _alternatives(text: str, occurrence: Occurrence) -> list[str]:
    written = text[occurrence.start : occurrence.end]
    return [written] if fold(written) != fold(occurrence.term.text) else []


def _definition(candidate: Candidate) -> tuple[str, str] | None:
    """(prompt, answer) when the sentence defines a term: 'X is/are (a|an|the) ...' where X is
    a short noun phrase, or '... is called X'."""
    text = candidate.text
    keys = {o.term.key: o.term for o in candidate.occurrences}
    match = DEFINITION.match(text)
    subject = match.group("term").split() if match is not None else []
    if match is not None and 1 <= len(subject) <= 3 and not any(w.casefold() in STOPWORDS for w in subject):
        rest = match.group("rest")
        rest_words = rest.split()
        first_two = [w.casefold() for w in rest_words[:2]]
        describes = first_two[0] in ("a", "an", "the") or any(_plural(w) and w not in STOPWORDS for w in first_two)
        # A definition says what kind of thing it is and which one: "the process by which ...",
        # "a force that ...", "the loss of ..."; "The result is a tuple even if ..." does not.
        describes = describes and _DEFINING.search(rest) is not None
        # "... and the velocity" joins nouns; "... and combines with" starts a second predicate.
        if describes and len(rest_words) >= 4 and not _SECOND_PREDICATE.search(rest):
            term = keys.get(fold(match.group("term")))
            return f"What is the term for {rest}?", term.text if term else match.group("term")
    match = CALLED.match(text)
    if match is not None and len(match.group("term").split()) <= 4:
        rest = match.group("rest")
        if len(rest.split()) >= 4:
            subject = rest[:1].lower() + rest[1:] if rest.split(" ", 1)[0].casefold() in STOPWORDS else rest
            return f"What {match.group('verb')} {subject} called?", match.group("term")
    return None


def _lead(candidate: Candidate) -> str:
    """The sentence a pointing-back sentence refers to, said before the question."""
    return f"{candidate.lead} " if candidate.lead else ""


def _source(candidate: Candidate) -> str:
    return f"Page {candidate.passage.page_number}"
