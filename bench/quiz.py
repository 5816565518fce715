"""Quiz generation from a 100-page document, beside the extraction of that same document.

The document is a 100-page PDF built with fpdf2: twenty chapters of study notes, each page about
350 words of distinct sentences (definitions, dates, figures, names; a heading and a page number
on every page), so no two pages are alike and the generator works on as much text as a real
textbook chapter run. The baseline is `documents.extract.extract` on that PDF, in this process.

Measured in one process: a warm-up run of each, then --rounds rounds running each once
(interleaved, so a busy moment of the machine hits all alike); medians and bests reported:
  extract          documents.extract.extract(pdf): the baseline
  key terms        the document's key terms (TF-IDF over its chunks): once per document, cached
  generate N       the offline generator alone, key terms cached (warm)
  generate N cold  the offline generator with the key terms computed first (a document's first quiz)
  task N           the whole quizzes.tasks.generate_quiz run: load the chunks from the database,
                   key terms (cached), generate, store the questions, relay the quiz.* events

    .venv/bin/python -m bench.quiz [--pages 100] [--rounds 5] [--database-url postgres://...]
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import base_parser, bench_env, describe_machine, fmt, median, print_table

GOAL = "10 questions in no more time than the extraction of the same document"

_PREFIXES = "thermo hydro photo chemo geo bio electro neuro cyto litho helio cryo baro magneto aero".split()
_STEMS = "lysis genesis phoresis stasis synthesis plasty morphosis tropism metry sphere taxis kinesis".split()
_ADJECTIVES = "primary secondary inner outer lateral basal central peripheral upper lower dorsal ventral".split()
_NOUNS = "membrane layer chamber channel gradient cycle matrix field reservoir boundary current sheath".split()
_PEOPLE = "Ada Lovelace|Carl Linnaeus|Marie Curie|Alfred Wegener|Dmitri Mendeleev|Rosalind Franklin|Gregor Mendel|Ibn Sina|Emmy Noether|Louis Pasteur".split("|")
_PLACES = "Vienna|Uppsala|Paris|Berlin|Kyoto|Lagos|Lima|Cairo|Oslo|Madras".split("|")
_TEMPLATES = [
    "{A} is the process by which the {b} converts {c} into {d}.",
    "The {b} is the structure where most of the {c} takes place.",
    "{P} first described {a} in {Y} while working in {L}.",
    "During {a}, the {b} releases {c} as a by-product.",
    "A high level of {c} slows down {a}, whereas {d} speeds it up.",
    "In {L}, about {N} percent of the {b} is made of {c}.",
    "The {b} is divided into {n} regions, each with its own {d}.",
    "{A} depends on the {b} and stops when the {d} is removed.",
    "Measurements taken in {Y} showed that the {b} holds about {N} units of {c}.",
    "The {b} surrounds the {d} and protects it from {c}.",
    "Without {c}, the {b} cannot complete {a}.",
    "{P} showed in {Y} that {a} and {c} share the same {b}.",
    "Most textbooks treat {a} as the first stage of {d}.",
    "The {d} of a cell is the region in which {c} accumulates during {a}.",
]


def study_pages(count: int, seed: int = 1) -> list[str]:
    """`count` pages of distinct study notes, 20 chapters, about 350 words a page."""
    rng = random.Random(seed)
    chapters = 20
    pages: list[str] = []
    for number in range(1, count + 1):
        chapter = (number - 1) * chapters // count
        local = random.Random(chapter)  # a chapter's vocabulary stays the same over its pages
        singles = [p + s for p, s in zip(local.sample(_PREFIXES, 6), local.sample(_STEMS, 6))]
        pairs = [f"{a} {n}" for a, n in zip(local.sample(_ADJECTIVES, 6), local.sample(_NOUNS, 6))]
        sentences: list[str] = []
        while sum(len(s.split()) for s in sentences) < 350:
            template = rng.choice(_TEMPLATES)
            a, c = rng.sample(singles, 2)
            b, d = rng.sample(pairs, 2)
            text = template.format(
                A=a.capitalize(), a=a, b=b, c=c, d=d, P=rng.choice(_PEOPLE), L=rng.choice(_PLACES),
                Y=rng.randint(1800, 2020), N=rng.randint(2, 95), n=rng.randint(2, 9),
            )
            sentences.append(text)
        body = " ".join(sentences)
        pages.append(f"Chapter {chapter + 1}: {singles[0].capitalize()}\n\n{body}\n\nPage {number}")
    return pages


def build_pdf(pages: list[str], path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 5, text)
    pdf.output(str(path))


def interleaved(modes: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per run of each mode: one warm-up run each (imports, caches), then `rounds`
    rounds running every mode once, so that a busy moment of the machine hits all of them alike."""
    for fn in modes.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in modes}
    for _ in range(rounds):
        for name, fn in modes.items():
            started = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with bench_env(args) as env:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import transaction

        from documents.extract import PDF, extract
        from documents.models import Document, DocumentPage
        from indexing.chunking import chunk_key, split_pages
        from indexing.models import Chunk
        from quizzes.generators import Difficulty, Material, QuestionType, QuizSpec, generate
        from quizzes.generators.terms import key_terms
        from quizzes.models import DocumentTerms, Quiz
        from quizzes.sources import load_material
        from quizzes.tasks import generate_quiz

        pdf_path = env.tmpdir / "book.pdf"
        build_pdf(study_pages(args.pages), pdf_path)
        extraction = extract(pdf_path, PDF)
        words = extraction.word_count

        owner = get_user_model().objects.create_user("bench-quiz")
        document = Document.objects.create(
            owner=owner, title="Book", original_filename="book.pdf", file="documents/book.pdf", content_type=PDF,
            size=pdf_path.stat().st_size, sha256="0" * 64, status=Document.Status.PROCESSED, page_count=extraction.page_count,
        )
        DocumentPage.objects.bulk_create([DocumentPage(document=document, number=p.number, text=p.text) for p in extraction.pages])
        config = settings.STUDYAI_INDEXING
        spans = split_pages([(p.number, p.text) for p in extraction.pages], config["CHUNK_SIZE"], config["CHUNK_OVERLAP"])
        Chunk.objects.bulk_create(
            [
                Chunk(document=document, key=chunk_key(document.pk, document.generation, s), page_number=s.page_number,
                      ordinal=s.ordinal, char_start=s.char_start, char_end=s.char_end, text=s.text)
                for s in spans
            ]
        )
        material = load_material([document.pk])  # computes and caches the key terms
        types = tuple(QuestionType)

        def quiz_spec(n: int) -> QuizSpec:
            return QuizSpec(n, types, Difficulty.MEDIUM, seed=7)

        def run_task(n: int) -> None:
            quiz = Quiz.objects.create(
                owner=owner, title="bench", num_questions=n, question_types=[t.value for t in types], difficulty="medium", seed=7
            )
            quiz.documents.set([document])
            generate_quiz.apply((quiz.pk,))
            assert Quiz.objects.get(pk=quiz.pk).questions.count() == n

        made = {n: len(generate(material, quiz_spec(n)).questions) for n in (10, 50)}

        def task_cold() -> None:
            with transaction.atomic():
                DocumentTerms.objects.filter(document=document).delete()
            run_task(10)

        measured = interleaved(
            {
                "extract": lambda: extract(pdf_path, PDF),
                "key terms": lambda: key_terms(material.passages),
                "generate 10": lambda: generate(material, quiz_spec(10)),
                "generate 10 cold": lambda: generate(Material(material.passages, {document.pk: key_terms(material.passages)}), quiz_spec(10)),
                "generate 50": lambda: generate(material, quiz_spec(50)),
                "task 10": lambda: run_task(10),
                "task 10 cold": task_cold,
                "task 50": lambda: run_task(50),
            },
            args.rounds,
        )

        baseline, baseline_best = median(measured["extract"]), min(measured["extract"])
        descriptions = {
            "extract": f"extract the {extraction.page_count}-page PDF ({words:,} words) - the baseline",
            "key terms": "key terms of the document (once per document, then cached)",
            "generate 10": f"generate 10 questions, key terms cached ({made[10]} made)",
            "generate 10 cold": "generate 10 questions, key terms computed first",
            "generate 50": f"generate 50 questions, key terms cached ({made[50]} made)",
            "task 10": "generate_quiz task, 10 questions (database, events)",
            "task 10 cold": "generate_quiz task, 10 questions, key terms computed first",
            "task 50": "generate_quiz task, 50 questions (database, events)",
        }
        rows = [
            [
                descriptions[name], fmt(median(samples)), fmt(min(samples)),
                f"{median(samples) / baseline:.2f}x", f"{min(samples) / baseline_best:.2f}x",
            ]
            for name, samples in measured.items()
        ]
        print(describe_machine(env))
        print(f"{len(material.passages)} chunks of {config['CHUNK_SIZE']} characters; {args.rounds} interleaved rounds")
        print_table(f"Quiz generation from a {args.pages}-page document", ["what", "median ms", "best ms", "median / extraction's", "best / extraction's"], rows)
        cold, cold_best = median(measured["generate 10 cold"]), min(measured["generate 10 cold"])
        verdict = "met" if cold <= baseline and cold_best <= baseline_best else "NOT met"
        print(
            f"Goal ({GOAL}): {verdict} - 10 questions with the key terms computed first: median {fmt(cold)} ms, "
            f"best {fmt(cold_best)} ms; extraction: median {fmt(baseline)} ms, best {fmt(baseline_best)} ms."
        )


if __name__ == "__main__":
    main()
