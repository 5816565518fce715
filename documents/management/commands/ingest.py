"""Import files or folders through the same pipeline as the API, with a progress bar."""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from documents.models import Document
from documents.tasks import process_document
from documents.uploads import Duplicate, UploadRefused, accept_upload
from studyai import correlation

FINAL = {Document.Status.PROCESSED, Document.Status.FAILED}


class Command(BaseCommand):
    help = "ingest PATH... --user NAME: upload files (folders recursively) and report how each went."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--user", required=True, help="the owner's username")
        parser.add_argument("--inline", action="store_true", help="process here instead of on the workers")
        parser.add_argument("--no-wait", action="store_true", help="queue them and return at once")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the workers")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            owner = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {options['user']!r}") from None
        files = self._files(options["paths"])
        if not files:
            raise CommandError("no files found in the given paths")

        with correlation.for_command() as run_id:  # every document of this run carries it
            self._ingest(owner, files, options)
            self.stdout.write(f"correlation id: {run_id} (in the logs of all this run's work)")

    def _ingest(self, owner: Any, files: list[Path], options: dict[str, Any]) -> None:
        created: list[Document] = []
        duplicates: list[tuple[Path, int]] = []
        refused: list[tuple[Path, str]] = []
        for path in tqdm(files, desc="uploading", unit="file", disable=None):
            try:
                with path.open("rb") as stream:
                    created.append(accept_upload(owner, stream, path.name))
            except Duplicate as exc:
                duplicates.append((path, exc.existing.pk))
            except UploadRefused as exc:
                refused.append((path, exc.message))
            except OSError as exc:
                refused.append((path, f"cannot read: {exc.strerror}"))

        if options["inline"]:
            for document in tqdm(created, desc="processing", unit="doc", disable=None):
                process_document.apply(args=(document.pk, document.generation))
        elif not options["no_wait"]:
            self._wait(created, options["timeout"])

        self._summary(created, duplicates, refused, waited=options["inline"] or not options["no_wait"])

    def _files(self, paths: list[str]) -> list[Path]:
        found: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                found.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
            elif path.is_file():
                found.append(path)
            else:
                raise CommandError(f"{raw}: no such file or folder")
        return found

    def _wait(self, documents: list[Document], timeout: float) -> None:
        ids = [d.pk for d in documents]
        deadline = time.monotonic() + timeout
        with tqdm(total=len(ids), desc="processing", unit="doc", disable=None) as bar:
            done = 0
            while done < len(ids):
                now_done = Document.objects.filter(pk__in=ids, status__in=FINAL).count()
                bar.update(now_done - done)
                done = now_done
                if done < len(ids):
                    if time.monotonic() > deadline:
                        self.stderr.write("timed out waiting for the workers (are they running? try --inline)")
                        return
                    time.sleep(0.5)

    def _summary(self, created: list[Document], duplicates: list[tuple[Path, int]], refused: list[tuple[Path, str]], waited: bool) -> None:
        documents = list(Document.objects.filter(pk__in=[d.pk for d in created]).order_by("pk"))
        statuses = Counter(d.status for d in documents)
        self.stdout.write("")
        if waited:
            self.stdout.write(f"processed: {statuses[Document.Status.PROCESSED]}")
            failed = [d for d in documents if d.status == Document.Status.FAILED]
            self.stdout.write(f"failed: {len(failed)}")
            for document in failed:
                self.stdout.write(f"  {document.original_filename}: {document.failure_message} ({document.failure_code})")
            pending = len(documents) - statuses[Document.Status.PROCESSED] - len(failed)
            if pending:
                self.stdout.write(f"still processing: {pending}")
        else:
            self.stdout.write(f"queued: {len(documents)}")
        self.stdout.write(f"duplicates: {len(duplicates)}")
        for path, existing in duplicates:
            self.stdout.write(f"  {path}: already uploaded as document {existing}")
        self.stdout.write(f"refused: {len(refused)}")
        for path, reason in refused:
            self.stdout.write(f"  {path}: {reason}")
