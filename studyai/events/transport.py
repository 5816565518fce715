"""The only code that touches Redis for events: the stream (XADD / consumer groups / dead
letters), the pub/sub mirror and the channel layer.

Live delivery (`deliver`) runs on one asyncio loop per process, in a daemon thread, so the
channel layer and the Redis connections stay open between calls from sync code (views, Celery
tasks) instead of being rebuilt on a fresh loop each time.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.utils.module_loading import import_string

from studyai import redis_tls

from . import crypto
from .groups import user_group
from .types import Event

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a connection problem with Redis looks like to callers: retry later, never crash.
REDIS_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)
LIVE_MESSAGE_TYPE = "event.message"  # handled by the WebSocket consumer's event_message()


@dataclass(frozen=True)
class StreamEntry:
    """One entry read from the stream: its id and the raw fields (decoded to str)."""

    entry_id: str
    fields: dict[str, str]

    @property
    def payload(self) -> str:
        return self.fields.get("event", "")

    @property
    def replay_for(self) -> str | None:
        """Set on a dead letter replayed for one consumer group only."""
        return self.fields.get("replay_for") or None

    @property
    def skip_groups(self) -> frozenset[str]:
        """Set on a re-encrypted copy (rotate_event_keys): the groups that handled the original."""
        value = self.fields.get("skip_groups")
        return frozenset(value.split(",")) if value else frozenset()


@dataclass(frozen=True)
class PendingEntry:
    entry_id: str
    consumer: str
    idle_ms: int
    deliveries: int


def live_channel(event_type: str) -> str:
    """The pub/sub channel mirroring one event type (`redis-cli psubscribe 'study_ai_events:*'`)."""
    return f"{settings.STUDYAI_EVENTS['STREAM']}:{event_type}"


def coalesce_live(events: Sequence[Event]) -> list[Event]:
    """Drop a progress event when a later event of the same job in the same batch supersedes it."""
    kept: list[Event] = []
    seen_jobs: set[tuple[int, str]] = set()
    for event in reversed(events):
        key = event.job_key
        job = (event.user_id, key or "")
        if event.is_progress and key and job in seen_jobs:
            continue
        seen_jobs.add(job)
        kept.append(event)
    kept.reverse()
    return kept


class _LoopThread:
    """A private asyncio loop in a daemon thread; sync code submits coroutines to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="event-transport", daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise


class EventTransport:
    def __init__(self, redis_url: str | None = None, channel_layer: BaseChannelLayer | None = None) -> None:
        config = settings.STUDYAI_EVENTS
        self.redis_url = redis_url or settings.REDIS_URL
        self.stream: str = config["STREAM"]
        self.maxlen: int = config["STREAM_MAXLEN"]
        self.dead_letter_stream: str = config["DEAD_LETTER_STREAM"]
        self.timeout = 5.0
        self.redis = redis.Redis.from_url(self.redis_url, decode_responses=True, **self._client_options())
        self._channel_layer = channel_layer
        self._loop: _LoopThread | None = None
        self._aioredis: aioredis.Redis | None = None
        self._lock = threading.Lock()

    def _client_options(self) -> dict[str, Any]:
        # A pooled connection may be stale after a Redis restart: retry a command twice on a
        # fresh connection before calling Redis unreachable.
        return {
            "socket_connect_timeout": 2,
            "socket_timeout": self.timeout,
            "health_check_interval": 10,
            "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
            **redis_tls.client_options(self.redis_url),  # rediss:// only
        }

    # ---- publishing -------------------------------------------------------------------------

    def deliver(self, events: Sequence[Event]) -> None:
        """Append the events to the stream, mirror them on pub/sub and push them to their users'
        groups. Raises a REDIS_ERRORS error if Redis cannot be reached (the caller keeps the
        outbox rows and tries again)."""
        if not events:
            return
        with self._lock:
            if self._loop is None:
                self._loop = _LoopThread()
        self._loop.run(self._deliver(events), timeout=self.timeout * 2)

    async def _deliver(self, events: Sequence[Event]) -> None:
        if self._aioredis is None:
            options = self._client_options()
            options["retry"] = AsyncRetry(ExponentialBackoff(cap=0.5, base=0.05), 2)
            self._aioredis = aioredis.Redis.from_url(self.redis_url, **options)
        # One round trip for the durable log and the mirror, concurrent with the live push.
        pipe = self._aioredis.pipeline(transaction=False)
        ring = crypto.keyring()
        # Sensitive fields encrypted (when keys are set) once an event, for the three ways out.
        sealed = {event.event_id: crypto.seal(event, ring) for event in events}
        for event in events:
            payload = crypto.sealed_json(event, sealed[event.event_id])
            pipe.xadd(
                self.stream,
                {"event": payload, "type": event.event_type.value, "user_id": str(event.user_id)},
                maxlen=self.maxlen,
                approximate=True,
            )
            pipe.publish(live_channel(event.event_type.value), payload)
        await asyncio.gather(pipe.execute(), self._push_live(coalesce_live(events), sealed))

    async def _push_live(self, events: Iterable[Event], sealed: Mapping[uuid.UUID, dict[str, Any]]) -> None:
        layer = self.channel_layer
        # In order, one after the other: a user's events must never overtake each other.
        for event in events:
            await layer.group_send(user_group(event.user_id), {"type": LIVE_MESSAGE_TYPE, "event": sealed[event.event_id]})

    @property
    def channel_layer(self) -> BaseChannelLayer:
        if self._channel_layer is None:
            if self.redis_url == settings.REDIS_URL:
                self._channel_layer = get_channel_layer()
            else:  # a transport for another Redis gets a channel layer on that Redis too
                config = settings.CHANNEL_LAYERS["default"]
                backend = import_string(config["BACKEND"])
                self._channel_layer = backend(**{**config.get("CONFIG", {}), "hosts": [redis_tls.layer_host(self.redis_url)]})
        return self._channel_layer

    def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Push one message to a channel-layer group from sync code (the notification service).
        Tried twice: the layer's first send after a Redis restart can hit a dead connection."""
        with self._lock:
            if self._loop is None:
                self._loop = _LoopThread()
        try:
            self._loop.run(self.channel_layer.group_send(group, message), timeout=self.timeout * 2)
        except REDIS_ERRORS:
            self._loop.run(self.channel_layer.group_send(group, message), timeout=self.timeout * 2)

    # ---- reading the stream -----------------------------------------------------------------

    def last_entry_id(self, stream: str | None = None) -> str:
        newest = self.redis.xrevrange(stream or self.stream, count=1)
        return str(newest[0][0]) if newest else "0-0"

    def read_after(self, entry_id: str, block_ms: int | None = None, count: int = 100) -> list[StreamEntry]:
        """Entries after `entry_id`, without a consumer group (monitoring, tools)."""
        response = self.redis.xread({self.stream: entry_id}, block=block_ms, count=count)
        return [StreamEntry(eid, fields or {}) for _stream, entries in response or [] for eid, fields in entries]

    # ---- consuming (consumer groups) --------------------------------------------------------

    def ensure_group(self, group: str, start_id: str = "0") -> bool:
        """Create the consumer group (and the stream) if missing. True if it was created."""
        try:
            self.redis.xgroup_create(self.stream, group, id=start_id, mkstream=True)
            return True
        except redis.ResponseError as exc:
            if "BUSYGROUP" in str(exc):
                return False
            raise

    def drop_group(self, group: str) -> None:
        self.redis.xgroup_destroy(self.stream, group)

    def read_group(self, group: str, consumer: str, count: int, block_ms: int, entry_id: str = ">") -> list[StreamEntry]:
        response = self.redis.xreadgroup(group, consumer, {self.stream: entry_id}, count=count, block=block_ms)
        return [StreamEntry(eid, fields or {}) for _stream, entries in response or [] for eid, fields in entries]

    def ack(self, group: str, *entry_ids: str) -> None:
        if entry_ids:
            self.redis.xack(self.stream, group, *entry_ids)

    def pending(self, group: str, min_idle_ms: int, count: int) -> list[PendingEntry]:
        rows = self.redis.xpending_range(self.stream, group, min="-", max="+", count=count, idle=min_idle_ms)
        return [
            PendingEntry(row["message_id"], row["consumer"], int(row["time_since_delivered"]), int(row["times_delivered"]))
            for row in rows
        ]

    def claim(self, group: str, consumer: str, min_idle_ms: int, entry_ids: Sequence[str]) -> list[StreamEntry]:
        """Take over entries that another (maybe dead) consumer or an earlier failure left pending."""
        if not entry_ids:
            return []
        rows = self.redis.xclaim(self.stream, group, consumer, min_idle_time=min_idle_ms, message_ids=list(entry_ids))
        # An entry trimmed from the stream comes back as (id, None).
        return [StreamEntry(eid, fields or {}) for eid, fields in rows]

    def is_nogroup(self, exc: BaseException) -> bool:
        return isinstance(exc, redis.ResponseError) and "NOGROUP" in str(exc)

    # ---- dead letters -----------------------------------------------------------------------

    def dead_letter(self, group: str, entry: StreamEntry, error: str, deliveries: int) -> None:
        self.redis.xadd(
            self.dead_letter_stream,
            {
                "event": entry.payload,
                "group": group,
                **crypto.seal_dead_letter_error(error[:4000]),
                "deliveries": str(deliveries),
                "original_id": entry.entry_id,
                "failed_at": str(time.time()),
            },
            maxlen=self.maxlen,
            approximate=True,
        )

    def dead_letters(self, count: int = 100) -> list[StreamEntry]:
        return [StreamEntry(eid, fields) for eid, fields in self.redis.xrange(self.dead_letter_stream, count=count)]

    def replay_dead_letter(self, entry: StreamEntry) -> str:
        """Put a dead letter back on the stream for the group it failed in only, then drop it."""
        new_id = self.redis.xadd(
            self.stream,
            {"event": entry.payload, "type": "replay", "replay_for": entry.fields.get("group", "")},
            maxlen=self.maxlen,
            approximate=True,
        )
        self.redis.xdel(self.dead_letter_stream, entry.entry_id)
        return str(new_id)

    def purge_dead_letters(self, entry_ids: Sequence[str] | None = None) -> int:
        if entry_ids:
            return int(self.redis.xdel(self.dead_letter_stream, *entry_ids))
        return int(self.redis.delete(self.dead_letter_stream))

    # ---- re-encryption (manage.py rotate_event_keys) -------------------------------------------

    def group_positions(self) -> dict[str, tuple[str, frozenset[str]]]:
        """Each consumer group of the stream: its last delivered entry id and its pending ids."""
        try:
            groups = self.redis.xinfo_groups(self.stream)
        except redis.ResponseError:  # no stream yet
            return {}
        positions = {}
        for group in groups:
            pending: set[str] = set()
            start = "-"
            while True:
                rows = self.redis.xpending_range(self.stream, group["name"], min=start, max="+", count=1000)
                pending.update(row["message_id"] for row in rows)
                if len(rows) < 1000:
                    break
                start = f"({rows[-1]['message_id']}"
            positions[str(group["name"])] = (str(group["last-delivered-id"]), frozenset(pending))
        return positions

    def entries(self, stream: str, after: str = "-", until: str = "+", count: int = 500) -> list[StreamEntry]:
        """Entries of `stream` after the id `after` (exclusive; "-" from the start) up to `until`."""
        start = after if after == "-" else f"({after}"
        return [StreamEntry(eid, fields or {}) for eid, fields in self.redis.xrange(stream, min=start, max=until, count=count)]

    def replace_entry(self, stream: str, entry_id: str, fields: dict[str, str]) -> str:
        """Append `fields` as a new entry and delete `entry_id`, atomically (MULTI): never both,
        never neither. Streams cannot edit an entry in place. No MAXLEN: the length is unchanged."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(stream, fields)
        pipe.xdel(stream, entry_id)
        new_id, _deleted = pipe.execute()
        return str(new_id)

    # ---- health -----------------------------------------------------------------------------

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def write_heartbeat(self, name: str, state: dict[str, str], ttl_s: int = 30) -> None:
        key = f"{self.stream}.health:{name}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, mapping=state)
        pipe.expire(key, ttl_s)
        pipe.execute()

    def heartbeats(self) -> dict[str, dict[str, str]]:
        prefix = f"{self.stream}.health:"
        return {key[len(prefix):]: self.redis.hgetall(key) for key in self.redis.scan_iter(f"{prefix}*")}


_transports: dict[int, EventTransport] = {}
_transports_lock = threading.Lock()


def get_transport() -> EventTransport:
    """The process's transport (pooled connections); a forked child (Celery prefork) gets its own."""
    pid = os.getpid()
    with _transports_lock:
        transport = _transports.get(pid)
        if transport is None:
            transport = _transports[pid] = EventTransport()
        return transport


def reset_transport() -> None:
    """Forget the process's transport (tests that change settings.REDIS_URL)."""
    with _transports_lock:
        _transports.clear()
