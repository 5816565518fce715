"""EventConsumer: reads the event stream through a Redis consumer group and calls handlers.

Delivery is at-least-once per group: an entry is acknowledged only after every matching handler
returned; one that raises stays pending and is retried after a backoff (by this or another
consumer of the group); after `max_deliveries` tries it moves, with its error, to the
dead-letter stream. Handlers must therefore be idempotent: the event id is the key.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.conf import settings
from django.db import close_old_connections

from studyai import logs

from . import crypto
from .transport import REDIS_ERRORS, EventTransport, StreamEntry, get_transport
from .types import Event, EventType, InvalidEvent

log = logging.getLogger(__name__)

Handler = Callable[[Event], None]


def with_fresh_connection(handler: Handler) -> Handler:
    """`handler` for a long-lived service: before each event, drop the database connections the
    server closed or that outlived CONN_MAX_AGE (what Django does per request)."""

    def handle(event: Event) -> None:
        close_old_connections()
        handler(event)

    return handle


@dataclass
class ConsumerHealth:
    connected: bool = False
    last_error: str = ""
    reconnects: int = 0
    groups_recreated: int = 0
    handled: int = 0
    failed: int = 0
    dead_lettered: int = 0
    last_event_at: str = ""
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    def as_strings(self) -> dict[str, str]:
        return {key: str(value) for key, value in self.__dict__.items()}


class EventConsumer:
    def __init__(
        self,
        redis_url: str | None = None,
        *,
        group: str = "default",
        consumer_name: str | None = None,
        start_from: str = "0",
        batch_size: int = 50,
        block_ms: int = 1000,
        max_deliveries: int | None = None,
        retry_base_ms: int | None = None,
        claim_idle_ms: int | None = None,
        transport: EventTransport | None = None,
    ) -> None:
        config = settings.STUDYAI_EVENTS
        self.transport = transport or (EventTransport(redis_url) if redis_url else get_transport())
        self.group = group
        self.consumer_name = consumer_name or f"{socket.gethostname()}-{os.getpid()}"
        # "0": a new group starts with everything the stream retains; "$": only new events.
        self.start_from = start_from
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.max_deliveries = max_deliveries or config["MAX_DELIVERIES"]
        self.retry_base_ms = retry_base_ms if retry_base_ms is not None else config["RETRY_BASE_MS"]
        self.claim_idle_ms = max(self.retry_base_ms, claim_idle_ms if claim_idle_ms is not None else config["CLAIM_IDLE_MS"])
        self.health = ConsumerHealth()
        self._handlers: list[tuple[Callable[[Event], bool], Handler]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._group_ready = False
        self._next_claim_at = 0.0
        self._next_heartbeat_at = 0.0
        self._last_errors: dict[str, str] = {}  # entry id -> the error of its last failed try

    # ---- subscribing (the seed's API) -------------------------------------------------------

    def subscribe(self, handler: Handler, event_types: set[EventType] | None = None) -> None:
        types = frozenset(event_types) if event_types else None
        self._handlers.append((lambda e: types is None or e.event_type in types, handler))

    def _subscribe_group(self, group: str, handler: Handler) -> None:
        self.subscribe(handler, {t for t in EventType if t.group == group})

    def subscribe_to_document_events(self, handler: Handler) -> None:
        self._subscribe_group("document", handler)

    def subscribe_to_indexing_events(self, handler: Handler) -> None:
        self._subscribe_group("indexing", handler)

    def subscribe_to_quiz_events(self, handler: Handler) -> None:
        self._subscribe_group("quiz", handler)

    def subscribe_to_system_events(self, handler: Handler) -> None:
        self._subscribe_group("system", handler)

    def subscribe_to_all_events(self, handler: Handler) -> None:
        self.subscribe(handler, None)

    # ---- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Consume until stop() is called. Survives Redis restarts: reconnects with backoff and
        recreates the group when Redis lost it."""
        self._stop.clear()
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self.run_once()
                backoff = 0.1
            except REDIS_ERRORS as exc:
                self._lost_connection(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
            except Exception as exc:  # a bug here must not kill the service: log and go on
                if self.transport.is_nogroup(exc):
                    self._group_ready = False
                    self.health.groups_recreated += 1
                    self._next_heartbeat_at = 0.0
                    log.warning("consumer group %s vanished (Redis restarted?); recreating it", self.group)
                    continue
                log.exception("event consumer loop error")
                self.health.last_error = repr(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
        self.health.connected = False

    def start_in_background(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.start, name=f"event-consumer-{self.group}", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run_once(self) -> int:
        """One step: (re)create the group if needed, retry what is due, read new events.
        Returns how many entries were processed."""
        if not self._group_ready:
            self.transport.ensure_group(self.group, self.start_from)
            self._group_ready = True
            if not self.health.connected and self.health.last_error:
                self.health.reconnects += 1
                self._next_heartbeat_at = 0.0  # say so at once, not at the next beat
                log.info("event consumer %s reconnected", self.consumer_name)
        self.health.connected = True
        self._heartbeat()
        processed = self._retry_due()
        entries = self.transport.read_group(self.group, self.consumer_name, self.batch_size, self.block_ms)
        for entry in entries:
            self._process(entry, deliveries=1)
        return processed + len(entries)

    # ---- internals --------------------------------------------------------------------------

    def _lost_connection(self, exc: BaseException) -> None:
        if self.health.connected:
            log.warning("event consumer lost Redis (%s); reconnecting", exc)
        self.health.connected = False
        self.health.last_error = repr(exc)
        # Redis may come back empty (no persistence): check the group again once it is back.
        self._group_ready = False

    def _retry_due(self) -> int:
        """Pick up entries left pending: failed here earlier, or read by a consumer that died."""
        now = time.monotonic()
        if now < self._next_claim_at:
            return 0
        self._next_claim_at = now + max(self.retry_base_ms, 100) / 1000
        mine, theirs = [], []
        for pending in self.transport.pending(self.group, self.retry_base_ms, self.batch_size):
            # Exponential backoff: the n-th retry waits base * 2^(n-1). Another consumer's entry
            # waits at least claim_idle_ms: that consumer may be alive and about to handle it.
            backoff_ms = self.retry_base_ms * 2 ** (pending.deliveries - 1)
            own = pending.consumer == self.consumer_name
            wait_ms = backoff_ms if own else max(backoff_ms, self.claim_idle_ms)
            if pending.idle_ms >= wait_ms or (own and pending.deliveries >= self.max_deliveries):
                (mine if own else theirs).append(pending)
        if not mine and not theirs:
            return 0
        deliveries = {p.entry_id: p.deliveries for p in mine + theirs}
        claimed = self.transport.claim(self.group, self.consumer_name, self.retry_base_ms, [p.entry_id for p in mine])
        claimed += self.transport.claim(self.group, self.consumer_name, self.claim_idle_ms, [p.entry_id for p in theirs])
        for entry in claimed:
            previous = deliveries.get(entry.entry_id, 0)
            if not entry.fields:  # trimmed from the stream meanwhile: nothing left to handle
                self.transport.ack(self.group, entry.entry_id)
            elif previous >= self.max_deliveries:
                last_error = self._last_errors.get(entry.entry_id, "unknown (the consumer handling it stopped)")
                self._dead_letter(entry, f"gave up after {previous} deliveries; last error: {last_error}", previous)
            else:
                self._process(entry, deliveries=previous + 1)
        return len(claimed)

    def _process(self, entry: StreamEntry, deliveries: int) -> None:
        if entry.replay_for and entry.replay_for != self.group:
            self.transport.ack(self.group, entry.entry_id)  # a replay meant for another group
            return
        if self.group in entry.skip_groups:
            self.transport.ack(self.group, entry.entry_id)  # a re-encrypted copy of one we handled
            return
        try:
            event = crypto.open_event(entry.payload)
        except InvalidEvent as exc:
            # Retrying cannot fix a malformed, unknown-version or undecryptable event: dead-letter
            # it at once.
            log.warning("invalid event %s dead-lettered: %s", entry.entry_id, exc)
            self._dead_letter(entry, str(exc), deliveries)
            return
        try:
            with logs.bound(event_id=str(event.event_id), correlation_id=event.correlation_id, user_id=event.user_id):
                for matches, handler in self._handlers:
                    if matches(event):
                        handler(event)
        except Exception as exc:
            self.health.failed += 1
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._last_errors[entry.entry_id] = error
            log.warning(
                "handler failed on %s %s (delivery %d/%d): %s",
                event.event_type, event.event_id, deliveries, self.max_deliveries, error,
            )
            if deliveries >= self.max_deliveries:
                self._dead_letter(entry, error, deliveries)
            return  # left pending: retried after the backoff
        self._last_errors.pop(entry.entry_id, None)
        self.transport.ack(self.group, entry.entry_id)
        self.health.handled += 1
        self.health.last_event_at = event.occurred_at.isoformat()

    def _dead_letter(self, entry: StreamEntry, error: str, deliveries: int) -> None:
        self.transport.dead_letter(self.group, entry, error, deliveries)
        self.transport.ack(self.group, entry.entry_id)
        self._last_errors.pop(entry.entry_id, None)
        self.health.dead_lettered += 1

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if now >= self._next_heartbeat_at:
            self._next_heartbeat_at = now + 5
            self.transport.write_heartbeat(f"{self.group}:{self.consumer_name}", self.health.as_strings())
