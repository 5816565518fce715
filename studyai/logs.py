"""Structured, correlated logs, the same from daphne, the Celery workers and the event services:
one JSON object per line (`LOG_FORMAT=json`, the default) or a readable line for a developer's
console (`LOG_FORMAT=text`).

Each record carries the ids of the work it belongs to: `correlation_id`, `task_id`, `event_id`,
`user_id`, from a context bound once where that work starts (`bound(...)`: a request in
`studyai.middleware.LogContextMiddleware`, a task by Celery's task_prerun signal, an event in
`EventConsumer` around its handlers), so no call has to pass them along. Tokens, passwords and
keys are scrubbed from every message (`?token=` query strings included). What a correlation id is
and how it travels from a request to the tasks and events it starts: studyai/correlation.py.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FIELDS = ("correlation_id", "task_id", "event_id", "user_id")
_context: ContextVar[dict[str, Any]] = ContextVar("studyai_log_context", default={})
# key=value, key: value, "key": "value", Authorization: Token/Bearer value
_SECRET = re.compile(
    r"""(?i)(?P<key>\b(?:token|password|passwd|secret|secret_key|api_key|apikey|authorization|sessionid|csrftoken)\b["']?\s*[=:]\s*["']?)"""
    r"""(?:(?:token|bearer|basic)\s+)?(?!\[redacted\])(?P<value>[^\s&"',;)}\]]+)"""
)
REDACTED = "[redacted]"


def bind(**values: Any) -> Token[dict[str, Any]]:
    """Add ids to the current context; returns what `unbind` needs to restore it."""
    return _context.set({**_context.get(), **{k: v for k, v in values.items() if v not in (None, "")}})


def unbind(token: Token[dict[str, Any]]) -> None:
    _context.reset(token)


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    token = bind(**values)
    try:
        yield
    finally:
        unbind(token)


def current() -> dict[str, Any]:
    return dict(_context.get())


def scrub(text: str) -> str:
    return _SECRET.sub(lambda m: m.group("key") + REDACTED, text)


class ContextFilter(logging.Filter):
    """Puts the bound ids on every record and scrubs secrets from its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, context.get(name))
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class JsonLineFormatter(JsonFormatter):
    """One JSON object per record: time, level, logger, message, the ids that are known, and the
    traceback (scrubbed) when there is one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "traceback"},
            **kwargs,
        )

    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        for name in FIELDS:
            if log_record.get(name) is None:
                log_record.pop(name, None)
        if "traceback" in log_record:
            log_record["traceback"] = scrub(str(log_record["traceback"]))
        return log_record


class TextFormatter(logging.Formatter):
    """A readable line, with the ids that are known at its end."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None) is not None)
        return scrub(f"{line} [{ids}]" if ids else line)
