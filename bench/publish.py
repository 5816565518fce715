"""Events per second that EventPublisher relays from one process, beside a bare redis-py loop.

Every relayed event costs the application an outbox INSERT (in the caller's transaction), on
commit a SELECT of the rows, XADD to the stream + PUBLISH on study_ai_events:<type> (one pipeline)
concurrently with a channel-layer group_send to user.<id>, then a DELETE of the rows. The
baseline is what any publisher must do at the least: a redis-py XADD + PUBLISH per event, one
event per iteration, no pipelining, against the same Redis.

Modes (each measured --rounds times, interleaved, median reported):
  bare        redis-py XADD + PUBLISH per event (the baseline)
  single      publish(event) outside a transaction: each event relayed on its own
  atomic      --batch publish() calls inside one transaction.atomic(): one relay batch on commit
  many        publish_many(--batch events): one bulk INSERT, one relay batch

Events are built (Event.create) before the clock starts, in every mode; `publish` still
re-validates them, as it always does. Their users have no sockets, so the group_send is a PUBLISH
nobody receives (bench/ws_latency.py measures the delivery to a socket).

    .venv/bin/python -m bench.publish [--events 2000] [--batch 100] [--rounds 5] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench._common import BenchEnv, base_parser, bench_env, describe_machine, fmt, load_average, median, print_table

if TYPE_CHECKING:
    from studyai.events.types import Event

GOAL_RATIO = 0.40

Mode = Callable[[list["Event"]], int]  # publishes the events, returns how many it got through


def build_events(count: int, users: int = 100) -> list[Event]:
    from studyai.events.types import Event, EventType

    return [
        Event.create(
            EventType.DOCUMENT_UPLOADED,
            1 + i % users,
            {"document_id": 1 + i, "filename": f"chapter-{i}.pdf", "file_size": 123_456, "content_type": "application/pdf"},
            correlation_id=f"bench-{i}",
        )
        for i in range(count)
    ]


def make_modes(env: BenchEnv, batch: int, deadline_s: float) -> dict[str, Mode]:
    import redis
    from django.conf import settings
    from django.db import transaction

    from studyai.events.publisher import EventPublisher
    from studyai.events.transport import live_channel

    config = settings.STUDYAI_EVENTS
    client = redis.Redis.from_url(env.redis_url)
    publisher = EventPublisher()

    def bare(events: list[Event]) -> int:
        # Serialized beforehand: the baseline is the Redis work alone.
        payloads = [(e.event_type.value, str(e.user_id), e.to_json()) for e in events]
        stop_at = time.monotonic() + deadline_s
        done = 0
        for event_type, user_id, payload in payloads:
            client.xadd(
                config["STREAM"],
                {"event": payload, "type": event_type, "user_id": user_id},
                maxlen=config["STREAM_MAXLEN"],
                approximate=True,
            )
            client.publish(live_channel(event_type), payload)
            done += 1
            if done % 100 == 0 and time.monotonic() > stop_at:
                break
        return done

    def single(events: list[Event]) -> int:
        stop_at = time.monotonic() + deadline_s
        done = 0
        for event in events:
            publisher.publish(event)
            done += 1
            if done % 100 == 0 and time.monotonic() > stop_at:
                break
        return done

    def atomic(events: list[Event]) -> int:
        stop_at = time.monotonic() + deadline_s
        done = 0
        for start in range(0, len(events), batch):
            with transaction.atomic():
                for event in events[start : start + batch]:
                    publisher.publish(event)
            done += len(events[start : start + batch])
            if time.monotonic() > stop_at:
                break
        return done

    def many(events: list[Event]) -> int:
        stop_at = time.monotonic() + deadline_s
        done = 0
        for start in range(0, len(events), batch):
            chunk = events[start : start + batch]
            publisher.publish_many(chunk)
            done += len(chunk)
            if time.monotonic() > stop_at:
                break
        return done

    return {"bare": bare, "single": single, "atomic": atomic, "many": many}


def check_relayed(env: BenchEnv, expected: int) -> str:
    """Every event reached the stream and left the outbox (a relay failure would leave rows for
    the sweep and make a mode look faster than it is)."""
    import redis
    from django.conf import settings

    from studyai.events.models import OutboxEvent

    length = redis.Redis.from_url(env.redis_url).xlen(settings.STUDYAI_EVENTS["STREAM"])
    left = OutboxEvent.objects.count()
    if length != expected or left:
        return f"PROBLEM: stream has {length}/{expected}, outbox keeps {left}"
    return "ok"


def reset(env: BenchEnv) -> None:
    import redis
    from django.conf import settings

    from studyai.events.models import OutboxEvent

    redis.Redis.from_url(env.redis_url).delete(settings.STUDYAI_EVENTS["STREAM"])
    OutboxEvent.objects.all().delete()


def profile(name: str, mode: Mode, events: list[Event], top: int) -> None:
    """cProfile of the publishing thread (the relay's Redis I/O runs on the transport's loop
    thread, so it shows here as time waiting in EventTransport.deliver)."""
    profiler = cProfile.Profile()
    profiler.enable()
    mode(events)
    profiler.disable()
    print(f"\n--- cProfile of '{name}' ({len(events)} events), top {top} by own time ---")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    print(f"--- same, top {top} by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = base_parser(__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=2000, help="events per measurement")
    parser.add_argument("--batch", type=int, default=100, help="events per transaction (atomic) / publish_many call")
    parser.add_argument("--rounds", type=int, default=5, help="measurements per mode (median reported)")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="cap on one measurement")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the single and many modes")
    args = parser.parse_args()
    run(args)


def run(args: argparse.Namespace) -> None:
    with bench_env(args) as env:
        print(f"machine: {describe_machine(env)}")
        modes = make_modes(env, args.batch, args.max_seconds)
        labels = {
            "bare": "bare redis-py XADD + PUBLISH per event (baseline)",
            "single": "publish() one at a time, outside a transaction",
            "atomic": f"publish() x {args.batch} inside one transaction.atomic()",
            "many": f"publish_many() of {args.batch} events",
        }
        # Warm-up: connections, the transport's loop thread, SQLite's statement cache.
        for mode in modes.values():
            mode(build_events(min(args.batch, 50)))
        reset(env)

        rates: dict[str, list[float]] = {name: [] for name in modes}
        checks: dict[str, str] = {}
        for round_no in range(args.rounds):
            # Rotate the order each round so that no mode always runs first (noisy machine).
            names = list(modes)[round_no % len(modes) :] + list(modes)[: round_no % len(modes)]
            for name in names:
                events = build_events(args.events)
                start = time.perf_counter()
                done = modes[name](events)
                elapsed = time.perf_counter() - start
                rates[name].append(done / elapsed)
                checks[name] = check_relayed(env, done)
                reset(env)

        bare = median(rates["bare"])
        rows = []
        for name in modes:
            rate = median(rates[name])
            rows.append(
                [
                    labels[name],
                    fmt(rate, 0),
                    f"{fmt(min(rates[name]), 0)}–{fmt(max(rates[name]), 0)}",
                    fmt(1e6 / rate, 0),
                    f"{rate / bare:.2f}",
                    "—" if name == "bare" else ("yes" if rate / bare >= GOAL_RATIO else "NO"),
                    checks[name],
                ]
            )
        print_table(
            f"Relay throughput, {args.events} events x {args.rounds} rounds (median; goal: >= {GOAL_RATIO:.0%} of bare)",
            ["mode", "events/s", "range", "µs/event", "x bare", "goal met", "relayed"],
            rows,
        )
        print(f"at the end: {load_average()}")
        if args.profile:
            for name in ("single", "many"):
                profile(labels[name], modes[name], build_events(args.events), top=25)
                reset(env)


if __name__ == "__main__":
    main()
