"""Quiz quality on real documents: the evaluation corpus (bench/corpus), a quiz per document and
seed, and the defects a program can see, counted by detectors that share no code with the
generator (so a generator bug cannot hide its own defect):

  failed    quizzes that raised, or came back with no question
  errors    candidate questions the generator skipped because building them raised
  leak      a running head, page number or shouted title in the question (a line found at the top
            or bottom of 3+ pages of the raw extracted text, or "Page N", or 3+ words in capitals)
  numeric   the answer is a bare number (blank, multiple choice, short answer)
  label     ... a number that labels rather than counts ("Figure _____", "Draft _____", a version)
  generic   the answer is a stop word, or a common English word (wordfreq Zipf >= 4.5) that this
            document uses less than 30 times as often as English does
  glued     a false statement holds a token found nowhere in the document (a swap glued from parts)
  mixed     multiple-choice options of different kinds (number, code (a name the document calls
            as a function counts as code), capitalised, lower case), of
            different number (singular/plural) or very different length, or not whole words of the document
  pronoun   the question's sentence starts by pointing back ("It", "This", "Thus") or says "thus"
            with nothing before it
  dup       two questions of one quiz with the same answer or nearly the same prompt

    .venv/bin/python -m bench.quiz_quality [--questions 10] [--seeds 1 2 3] [--json out.json]
        [--sample 50 --sample-file sample.md]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

DEFECTS = ("leak", "numeric", "label", "generic", "glued", "mixed", "pronoun", "dup")
_TOKENS = re.compile(r"\w+")
_PREFIXES = ("true or false:", "fill in the blank:", "which answer completes the sentence?")
_POINTING = frozenset("it its this these those they them he she his her such thus hence therefore".split())
_LABELS = re.compile(r"\b(?:figure|fig\.?|table|draft|version|release|page|section|chapter|step|rfc|v)\s*_____", re.I)
_PAGE = re.compile(r"\bpage\s+\d+\b", re.I)
_CAPITALS = re.compile(r"\b[A-Z]{2,}(?:[\s.,;:-]+[A-Z]{2,}){2,}\b")
_STOP = frozenset(
    """a an the and or but of to in on at by for with from as is are was were be been it this that these those
    there their they them he she his her its which who what when where how not no yes all any some each""".split()
)


@dataclass
class Counts:
    quizzes: int = 0
    failed: int = 0
    errors: int = 0
    questions: int = 0
    seconds: float = 0.0
    defects: Counter[str] = field(default_factory=Counter)

    def add(self, other: Counts) -> None:
        self.quizzes += other.quizzes
        self.failed += other.failed
        self.errors += other.errors
        self.questions += other.questions
        self.seconds += other.seconds
        self.defects.update(other.defects)


class Detectors:
    """The defect checks for one document, knowing its raw extracted pages."""

    def __init__(self, pages: list[str]) -> None:
        counted = Counter(t.casefold() for page in pages for t in _TOKENS.findall(page))
        self.tokens = set(counted)
        self.counts = counted
        self.total = max(1, sum(counted.values()))
        # Names the document calls as functions ("calcsize()"): an option of that kind beside
        # plain words ("implement") is not an alternative of the same kind.
        self.called = {m.casefold() for page in pages for m in re.findall(r"(\w+)\(", page)}
        edge: dict[str, set[int]] = {}
        for number, page in enumerate(pages):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            for line in lines[:2] + lines[-2:]:
                shape = re.sub(r"\d+", "#", line.casefold())
                if 8 <= len(shape) <= 100:
                    edge.setdefault(shape, set()).add(number)
        self.heads = [shape for shape, numbers in edge.items() if len(numbers) >= 3]

    def check(self, question: Any, others: list[Any]) -> list[str]:
        found = []
        kind = question.type.value if hasattr(question.type, "value") else str(question.type)
        text = " ".join([question.prompt, *question.options])
        masked = re.sub(r"\d+", "#", text.casefold())
        if any(head in masked for head in self.heads) or _PAGE.search(text) or _CAPITALS.search(question.prompt):
            found.append("leak")
        if kind != "true_false":
            answer = question.answer.strip()
            if re.fullmatch(r"[\d.,]+", answer):
                found.append("numeric")
                if _LABELS.search(question.prompt) or answer.startswith("0") and len(answer) > 1 or answer.count(".") > 1:
                    found.append("label")
            elif " " not in answer and (answer.casefold() in _STOP or (answer.islower() and self._common(answer))):
                found.append("generic")
        if kind == "true_false" and question.answer == "false":
            statement = question.prompt.split(":", 1)[-1]
            new = {t.casefold() for t in _TOKENS.findall(statement)} - {t.casefold() for t in _TOKENS.findall(question.evidence)}
            if any(token not in self.tokens for token in new):
                found.append("glued")
        if kind == "multiple_choice" and self._mixed(question.options):
            found.append("mixed")
        if _points_back(question.prompt):
            found.append("pronoun")
        for other in others:
            if other is question:
                break
            if (kind != "true_false" and other.answer.casefold() == question.answer.casefold()) or _similar(other.prompt, question.prompt):
                found.append("dup")
                break
        return found

    def _common(self, word: str) -> bool:
        general = _zipf(word)
        if general < 4.5:
            return False
        here = self.counts[word.casefold()] / self.total * 1e9
        return here < 30 * 10**general

    def _mixed(self, options: list[str]) -> bool:
        kinds = {_option_kind(option, self.called) for option in options}
        if len(kinds) > 1:
            return True
        if kinds == {"lower"} and len({option.casefold().rsplit(" ", 1)[-1].endswith("s") for option in options}) > 1:
            return True  # singular beside plural: one of them does not fit the sentence
        lengths = [len(option) for option in options]
        if max(lengths) > 3 * max(4, min(lengths)):
            return True
        return any(t.casefold() not in self.tokens for option in options for t in _TOKENS.findall(option))


def _option_kind(option: str, called: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    if option.casefold() in called:
        return "code"
    if re.fullmatch(r"[\d.,]+", option):
        return "number"
    if re.search(r"[_()]|[a-z][A-Z]|[A-Za-z]\d|\w\.\w", option):
        return "code"
    if option[:1].isupper():
        return "capitalised"
    return "lower"


def _points_back(prompt: str) -> bool:
    """Whether the first sentence of the question (after "True or false:" ...) points back. A
    question that says first the sentence it refers to passes: its first sentence is that one."""
    text = prompt.strip()
    for prefix in _PREFIXES:
        if text.casefold().startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    first_sentence = re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]
    first_words = first_sentence.split(" ", 2)
    first = first_words[0].strip(",.;:\"'(").casefold()
    if first in ("this", "these") and len(first_words) > 1 and first_words[1][:1].isupper():
        first = ""  # "This License", "These Terms": the document naming itself
    return first in _POINTING or re.search(r"\bthus\b|\bthe above\b", first_sentence, re.I) is not None


def _similar(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.token_sort_ratio(a.casefold(), b.casefold()) >= 85


_ZIPF: dict[str, float] = {}


def _zipf(word: str) -> float:
    if word not in _ZIPF:
        from wordfreq import zipf_frequency

        _ZIPF[word] = zipf_frequency(word, "en")
    return _ZIPF[word]


def evaluate(questions: int, seeds: Iterable[int], sample: list[dict[str, Any]] | None = None) -> dict[str, Counts]:
    from bench.corpus import DOCUMENTS, material, pages
    from quizzes.generators import QuestionType, QuizSpec, generate

    results: dict[str, Counts] = {}
    for document in DOCUMENTS:
        counts = Counts()
        raw = pages(document)
        detectors = Detectors(raw)
        try:
            made = material(document)
        except Exception as exc:  # the key terms of the document: a crash fails every quiz
            print(f"{document.slug}: material failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            made = None
        for seed in seeds:
            counts.quizzes += 1
            if made is None:
                counts.failed += 1
                continue
            started = time.perf_counter()
            try:
                result = generate(made, QuizSpec(num_questions=questions, question_types=tuple(QuestionType), seed=seed))
            except Exception as exc:
                print(f"{document.slug} seed {seed}: {type(exc).__name__}: {exc}", file=sys.stderr)
                counts.failed += 1
                continue
            finally:
                counts.seconds += time.perf_counter() - started
            counts.errors += len(getattr(result, "errors", []))
            if not result.questions:
                counts.failed += 1
            counts.questions += len(result.questions)
            for question in result.questions:
                defects = detectors.check(question, result.questions)
                counts.defects.update(defects)
                if sample is not None:
                    sample.append({
                        "document": document.slug, "seed": seed, "type": question.type.value, "prompt": question.prompt,
                        "options": list(question.options), "answer": question.answer, "evidence": question.evidence,
                        "page": question.passage.page_number, "defects": defects,
                        "option_explanations": list(getattr(question, "option_explanations", []) or []),
                    })
        results[document.slug] = counts
    return results


def print_report(results: dict[str, Counts]) -> None:
    header = ["document", "quizzes", "failed", "errors", "q/quiz", *DEFECTS, "s/quiz"]
    rows = []
    total = Counts()
    for slug, counts in results.items():
        total.add(counts)
        rows.append(_row(slug, counts))
    rows.append(_row("**total**", total))
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nDefects are % of questions ({total.questions} questions in {total.quizzes} quizzes).")


def _row(name: str, counts: Counts) -> list[str]:
    per_quiz = counts.questions / counts.quizzes if counts.quizzes else 0.0
    rates = [f"{100 * counts.defects[d] / counts.questions:.0f}" if counts.questions else "-" for d in DEFECTS]
    seconds = counts.seconds / counts.quizzes if counts.quizzes else 0.0
    return [name, str(counts.quizzes), str(counts.failed), str(counts.errors), f"{per_quiz:.1f}", *rates, f"{seconds:.2f}"]


def write_sample(items: list[dict[str, Any]], size: int, path: Path, seed: int) -> None:
    """A seeded random sample of questions, numbered, as Markdown, for rating by hand."""
    chosen = random.Random(seed).sample(items, min(size, len(items)))
    lines = []
    for number, item in enumerate(chosen, start=1):
        lines.append(f"### {number}. {item['document']} p.{item['page']} ({item['type']})\n")
        lines.append(f"{item['prompt']}\n")
        for option in item["options"]:
            lines.append(f"- {option}")
        lines.append(f"\nAnswer: {item['answer']}  \nSource: {item['evidence']}\n")
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--json", type=Path, help="write the figures (and every question) here")
    parser.add_argument("--sample", type=int, default=0, help="write this many questions, drawn at random, for rating by hand")
    parser.add_argument("--sample-file", type=Path, default=Path("quiz-sample.md"))
    parser.add_argument("--sample-seed", type=int, default=7)
    args = parser.parse_args()
    items: list[dict[str, Any]] = []
    results = evaluate(args.questions, args.seeds, items)
    print_report(results)
    if args.json:
        payload = {slug: {**asdict(c), "defects": dict(c.defects)} for slug, c in results.items()}
        args.json.write_text(json.dumps({"results": payload, "questions": items}, indent=1))
    if args.sample:
        write_sample(items, args.sample, args.sample_file, args.sample_seed)


if __name__ == "__main__":
    main()
