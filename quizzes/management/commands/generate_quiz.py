"""Print a quiz generated from a document, in this process (nothing is stored)."""
from __future__ import annotations

import json
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from documents.models import Document
from quizzes.generators import Difficulty, QuestionType, QuizSpec, generate
from quizzes.generators.llm import configured_provider
from quizzes.sources import load_material


class Command(BaseCommand):
    help = "Generate a quiz from a processed, indexed document and print it with answers and citations (nothing is saved)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--document", type=int, required=True, action="append", help="document id (repeat for several)")
        parser.add_argument("--questions", type=int, default=10, help="how many questions (1-50)")
        parser.add_argument("--seed", type=int, default=None, help="the same document and seed print the same quiz")
        parser.add_argument("--types", nargs="+", choices=[t.value for t in QuestionType], default=[t.value for t in QuestionType])
        parser.add_argument("--difficulty", choices=[d.value for d in Difficulty], default=Difficulty.MEDIUM.value)
        parser.add_argument("--offline", action="store_true", help="skip the LLM provider even when one is configured")
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["questions"] <= 50:
            raise CommandError("--questions must be between 1 and 50.")
        document_ids: list[int] = list(dict.fromkeys(options["document"]))
        statuses = dict(Document.objects.filter(pk__in=document_ids).values_list("pk", "status"))
        for document_id in document_ids:
            if document_id not in statuses:
                raise CommandError(f"Document {document_id} not found.")
            if statuses[document_id] != Document.Status.PROCESSED:
                raise CommandError(f"Document {document_id} is {statuses[document_id]}: only processed documents can be quizzed.")
        seed = options["seed"] if options["seed"] is not None else secrets.randbelow(2**31)
        spec = QuizSpec(
            num_questions=options["questions"],
            question_types=tuple(QuestionType(t) for t in dict.fromkeys(options["types"])),
            difficulty=Difficulty(options["difficulty"]),
            seed=seed,
        )
        material = load_material(document_ids)
        if not material.passages:
            raise CommandError("The document has no indexed text (is indexing finished?).")
        result = generate(material, spec, provider=None if options["offline"] else configured_provider())
        if options["json"]:
            payload = {
                "seed": seed,
                "generator": result.generator,
                "notes": result.notes,
                "shortfall_reason": result.shortfall_reason,
                "questions": [draft.model_dump(mode="json") for draft in result.questions],
                "dropped": [{"gate": d.gate, "reason": d.reason, "prompt": d.draft.prompt} for d in result.dropped],
            }
            self.stdout.write(json.dumps(payload, indent=2))
            return
        self.stdout.write(f"Quiz from document(s) {', '.join(map(str, document_ids))} - seed {seed}, {spec.difficulty}, {result.generator}")
        for number, draft in enumerate(result.questions, start=1):
            self.stdout.write(f"\n{number}. [{draft.type.value.replace('_', ' ')}] {draft.prompt}")
            for letter, option in zip("abcdef", draft.options):
                self.stdout.write(f"   {letter}) {option}{'  <- answer' if option == draft.answer else ''}")
            if not draft.options:
                self.stdout.write(f"   answer: {draft.answer}")
            self.stdout.write(f"   source: document {draft.passage.document_id}, page {draft.passage.page_number}: \"{draft.evidence}\"")
        for note in [*result.notes, result.shortfall_reason]:
            if note:
                self.stdout.write(self.style.WARNING(f"\n{note}"))
        self.stdout.write(f"\n{len(result.questions)} question(s); {len(result.dropped)} dropped by the quality gates.")
