"""Generate a quiz from every document of the evaluation corpus (bench/corpus) and say what
happened to each: pages extracted, passages, key terms, questions made (by type), or the
exception that stopped it and at which stage (and, when the key terms crashed, what the generator
makes of the passages without them). A smoke run, not a test: a document that crashes
is reported and the next one is tried. Offline generator only (no LLM provider), no database.

    .venv/bin/python bench/corpus_smoke.py [--questions 10] [--slug SLUG ...]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # so `bench` and the apps import when run as a script too
    sys.path.insert(0, str(BASE_DIR))

from bench.corpus import DOCUMENTS, CorpusDocument, document_id, material, pages, passages  # noqa: E402

SHORT = {"multiple_choice": "mc", "true_false": "tf", "fill_in_the_blank": "blank", "short_answer": "short"}


def run(document: CorpusDocument, num_questions: int) -> str:
    """One line about one document; never raises (but for KeyboardInterrupt)."""
    from quizzes.generators.pipeline import generate
    from quizzes.generators.schema import QuestionType, QuizSpec

    started = time.monotonic()
    stage = "extract"
    texts: list[str] = []
    try:
        texts = pages(document)
        stage = "material"
        built = material(document, texts)
        terms = sum(len(t) for t in built.terms.values())
        stage = "generate"
        result = generate(built, QuizSpec(num_questions=num_questions, question_types=tuple(QuestionType)))
    except Exception as exc:  # noqa: BLE001 - report it and go on with the next document
        message = " ".join(str(exc).split())[:200]
        line = f"{len(texts):>3} pages  CRASHED in {stage}: {type(exc).__name__}: {message}"
        if stage == "material":
            line += f"; {without_terms(document, texts, num_questions)}"
        return line + f"  ({time.monotonic() - started:.1f} s)"
    types = Counter(SHORT.get(str(q.type), str(q.type)) for q in result.questions)
    made = ", ".join(f"{count} {name}" for name, count in sorted(types.items())) or "none"
    line = (
        f"{len(texts):>3} pages  {len(built.passages):>3} passages  {terms:>3} terms  "
        f"{len(result.questions):>2}/{num_questions} questions ({made}), {len(result.dropped)} dropped"
    )
    if result.shortfall_reason:
        line += f"; shortfall: {result.shortfall_reason}"
    return line + f"  ({time.monotonic() - started:.1f} s)"


def without_terms(document: CorpusDocument, texts: list[str], num_questions: int) -> str:
    """When the key terms crash: what the generator makes of the passages with no key terms, to
    tell a crash in key_terms from one in the generator."""
    from quizzes.generators.pipeline import generate
    from quizzes.generators.schema import Material, QuestionType, QuizSpec

    try:
        chunks = passages(document, texts)
        result = generate(Material(chunks, {document_id(document): []}), QuizSpec(num_questions, tuple(QuestionType)))
    except Exception as exc:  # noqa: BLE001
        return f"without key terms: also {type(exc).__name__}: {' '.join(str(exc).split())[:120]}"
    reason = f" ({result.shortfall_reason})" if result.shortfall_reason else ""
    return f"without key terms: {len(result.questions)}/{num_questions} questions{reason}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--questions", type=int, default=10, help="questions asked of each document")
    parser.add_argument("--slug", action="append", help="only this document (repeatable)")
    args = parser.parse_args()
    documents = [d for d in DOCUMENTS if not args.slug or d.slug in args.slug]
    width = max(len(d.slug) for d in documents)
    crashed = 0
    for document in documents:
        line = run(document, args.questions)
        crashed += "CRASHED" in line
        print(f"{document.slug:<{width}}  {line}", flush=True)
    print(f"{len(documents) - crashed} of {len(documents)} documents made a quiz, {crashed} crashed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
