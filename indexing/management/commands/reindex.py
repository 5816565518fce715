"""`manage.py reindex --all | --user NAME | --document ID`: re-index documents now, in this process,
with the indexing worker's own code (jobs, events and all), with a progress bar (on a terminal)."""
from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from tqdm import tqdm

from documents.models import Document
from indexing import indexer
from indexing.jobs import NotIndexable, reindex_job
from studyai import correlation


class Command(BaseCommand):
    help = "Re-index processed documents now (in this process), with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every processed document")
        which.add_argument("--user", metavar="NAME", help="the documents of this user (username)")
        which.add_argument("--document", type=int, metavar="ID", help="this document")

    def handle(self, *args: Any, **options: Any) -> None:
        with correlation.for_command() as run_id:  # every job of this run carries it
            self.stdout.write(f"correlation id: {run_id} (in the logs of all this run's work)")
            self._reindex(options)

    def _reindex(self, options: dict[str, Any]) -> None:
        documents = list(self._documents(options).order_by("pk"))
        started = time.monotonic()
        indexed = chunks = 0
        notes: list[str] = []
        with tqdm(documents, desc="indexing", unit="doc", disable=None) as bar:
            for document in bar:
                try:
                    job, created = reindex_job(document)
                    if not created:
                        notes.append(f"document {document.pk}: skipped, job {job.pk} is already {job.status}")
                    else:
                        count = indexer.run(job)
                        if count is not None:
                            indexed += 1
                            chunks += count
                except NotIndexable as exc:
                    notes.append(f"skipped: {exc}")
                except Exception as exc:  # recorded on the job (indexing.failed); go on with the others
                    notes.append(f"document {document.pk}: failed: {exc}")
                bar.set_postfix(chunks=f"{chunks:,}")
        for note in notes:
            self.stderr.write(note)
        self.stdout.write(
            f"Indexed {indexed} of {len(documents)} documents ({chunks:,} chunks) in {time.monotonic() - started:.1f} s."
        )

    def _documents(self, options: dict[str, Any]) -> QuerySet[Document]:
        if options["document"] is not None:
            documents = Document.objects.filter(pk=options["document"])
            if not documents.exists():
                raise CommandError(f"No document with id {options['document']}.")
            return documents
        if options["user"] is not None:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
            return Document.objects.filter(owner=user, status=Document.Status.PROCESSED)
        return Document.objects.filter(status=Document.Status.PROCESSED)
