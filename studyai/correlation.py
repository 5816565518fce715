"""Correlation ids: one id follows a piece of work a user started, through every process.

The format, the same for documents, indexing and quizzes: the id of the request that started the
work — the client's `X-Request-ID` when it is a sane one (`[A-Za-z0-9._:-]{8,128}`), else
`req-<32 hex>` made here. A manage.py command that starts work (`ingest`, `reindex`) binds one
new `req-<32 hex>` for its whole run (`for_command`) and prints it; other work started without a
request (a task sent by `celery call`) gets a new one at its start.

How it travels (so that grepping the logs of daphne, the workers and the event services for one
id finds the whole story of one upload):

- request: `LogContextMiddleware` binds it (studyai/logs.py) and returns it in X-Request-ID;
- job rows: Document, IndexJob and Quiz store the id of the request that started their current
  run, so each of their events carries it, whoever publishes it (a worker, the watchdog);
- tasks: `dispatch` keeps it on the outbox row and sends it as the task header
  `studyai_correlation_id`; the worker binds it before the task runs (task_prerun);
- events: the envelope's `correlation_id`; an event consumer binds it around its handlers, so
  the indexing service hands it on to the index job the processed document starts.

A job's identity is not its correlation id (a client may send one X-Request-ID for many
uploads): what supersedes what is decided by the ids in the event's data (`types.job_key`).
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from studyai import logs

HEADER = "X-Request-ID"  # the HTTP header, in and out
TASK_HEADER = "studyai_correlation_id"  # the Celery message header (Celery uses "correlation_id" for the task id)
MAX_LENGTH = 128
_SANE = re.compile(rf"^[A-Za-z0-9._:-]{{8,{MAX_LENGTH}}}$")


def new() -> str:
    return f"req-{uuid.uuid4().hex}"


def accept(given: str | None) -> str:
    """The client's id when it is a sane one (no spaces, quotes or control characters to break a
    log line, bounded length), else a new one."""
    return given if given and _SANE.match(given) else new()


def bound() -> str | None:
    """The id bound for the current request, task or event handler, if any."""
    value = logs.current().get("correlation_id")
    return str(value) if value else None


def current() -> str:
    """The id for work starting now: the bound one, or a new one outside any request or task."""
    return bound() or new()


@contextmanager
def for_command() -> Iterator[str]:
    """One id for all the work a manage.py command run starts (every document it uploads or
    re-indexes), bound while it runs, so one grep of the logs follows the whole run."""
    run_id = new()
    with logs.bound(correlation_id=run_id):
        yield run_id
