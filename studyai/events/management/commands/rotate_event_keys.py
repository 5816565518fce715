"""Re-encrypt what the event stream and the dead-letter stream retain under the newest
EVENT_ENCRYPTION_KEYS key (and encrypt events written in clear before keys were set), so that
older keys can be dropped.

A stream entry cannot be edited, so an entry that needs it is replaced: XADD of a re-encrypted
copy and XDEL of the original, in one MULTI (never both, never neither). The copy holds the same
event (same event_id) but gets a new entry id at the end of the stream. That is only sound for
entries that every consumer group is done with, so:

- In the event stream only entries that every group has already read (at or before each
  group's last delivered id) and that are pending in none (acknowledged) are replaced. Each
  copy carries `skip_groups`, the groups that existed then: they all handled the original, so
  they acknowledge the copy without handling it again. A group created later from "0" handles
  the copy once, but at its new place, after events newer than the original: the price of
  rewriting an append-only log. A group created while this runs may see both; handlers are
  idempotent on event id, so that costs a duplicate call at most.
- Entries still pending in some group (being handled, or waiting for a retry) or not read yet
  by some group are left as they are: replacing them would take them out of the pending lists
  (their retries and dead-lettering) and reorder them for the group that has yet to read them.
  The command says how many it left; run it again once consumers have caught up, and drop the
  old key only when it reports none left.
- The dead-letter stream has no groups: every dead letter that needs it is replaced (its entry
  id changes; `failed_at` keeps when it failed).

Entries no configured key opens are left and counted: a consumer dead-letters them.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError

from studyai.events import crypto
from studyai.events.crypto import KeyRing, UndecryptableEvent
from studyai.events.transport import EventTransport, StreamEntry, get_transport

BATCH = 500


@dataclass
class Tally:
    rewritten: int = 0
    current: int = 0
    left: int = 0  # needs it, but a consumer group is not done with it yet
    undecryptable: int = 0

    def __str__(self) -> str:
        return f"{self.rewritten} re-encrypted, {self.current} current, {self.left} left for later, {self.undecryptable} under no configured key"


class Command(BaseCommand):
    help = "Re-encrypt the events the streams retain under the newest EVENT_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be re-encrypted; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        ring = crypto.keyring()
        if ring is None:
            raise CommandError(f"{crypto.SETTING} is not set: there is no key to encrypt with")
        transport = get_transport()
        dry_run: bool = options["dry_run"]
        stream = rekey_stream(transport, ring, dry_run)
        dead = rekey_dead_letters(transport, ring, dry_run)
        verb = "would be" if dry_run else "were"
        self.stdout.write(f"{transport.stream}: {stream}")
        self.stdout.write(f"{transport.dead_letter_stream}: {dead}")
        if stream.left or stream.undecryptable or dead.undecryptable:
            self.stdout.write(f"entries {verb} left under older keys: keep those keys until a later run reports none left")


def _entry_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _retained(transport: EventTransport, stream: str) -> Iterator[StreamEntry]:
    """The entries of `stream` up to its newest one now, in batches: the copies a run appends
    land after it, so none is visited twice."""
    until, after = transport.last_entry_id(stream), "-"
    while True:
        batch = transport.entries(stream, after=after, until=until, count=BATCH)
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].entry_id


def rekey_stream(transport: EventTransport, ring: KeyRing, dry_run: bool = False) -> Tally:
    tally = Tally()
    positions = transport.group_positions()
    pending = frozenset().union(*(ids for _last, ids in positions.values()))
    # Entries up to the least advanced group's position have been read by every group.
    floor = min((_entry_key(last) for last, _ids in positions.values()), default=None)
    skip_groups = ",".join(sorted(positions))
    for entry in _retained(transport, transport.stream):
        resealed = _reseal(entry, ring, tally)
        if resealed is None:
            continue
        finished = floor is None or _entry_key(entry.entry_id) <= floor
        if not finished or entry.entry_id in pending:
            tally.left += 1
            continue
        tally.rewritten += 1
        if not dry_run:
            transport.replace_entry(transport.stream, entry.entry_id, {**entry.fields, "event": resealed, "skip_groups": skip_groups})
    return tally


def rekey_dead_letters(transport: EventTransport, ring: KeyRing, dry_run: bool = False) -> Tally:
    tally = Tally()
    for entry in _retained(transport, transport.dead_letter_stream):
        try:
            error_fields = crypto.reseal_dead_letter_error(entry.fields, ring)
            resealed = crypto.reseal(entry.payload, ring)
        except (InvalidToken, UndecryptableEvent):
            tally.undecryptable += 1
            continue
        if resealed is None and error_fields is None:
            tally.current += 1
            continue
        tally.rewritten += 1
        if not dry_run:
            fields = {**entry.fields, **(error_fields or {}), "event": resealed or entry.payload}
            transport.replace_entry(transport.dead_letter_stream, entry.entry_id, fields)
    return tally


def _reseal(entry: StreamEntry, ring: KeyRing, tally: Tally) -> str | None:
    """The entry's payload under the newest key, or None (current, or no key opens it)."""
    try:
        resealed = crypto.reseal(entry.payload, ring)
    except UndecryptableEvent:
        tally.undecryptable += 1
        return None
    if resealed is None:
        tally.current += 1
    return resealed
