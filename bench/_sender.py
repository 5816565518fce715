"""The sending side of the WebSocket benchmarks, run as a SEPARATE process (as a Celery worker or
a view would publish), with the environment bench_env() set up:

    python -m bench._sender paced  --method publish|group_send --user-id U --rate R --duration S --tag T
    python -m bench._sender fanout --method publish_many|publish|group_send --user-ids-file F --rounds N --tag T

`publish`/`publish_many` go through the application's EventPublisher (outbox, relay, channel
layer); `group_send` is the bare baseline: a channel-layer group_send of a valid envelope straight
to user.<id>, the message the relay itself sends. Each event's correlation_id carries the tag, a
sequence number and time.time_ns() taken just before the send (see _common.correlation). Prints
one JSON line with what was sent.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import django

from bench._common import correlation

if TYPE_CHECKING:
    from studyai.events.types import Event

WARMUP_TAG = "warmup"


class Sender:
    """One way of sending a `user.notification` event to one user, timed from just before it."""

    def __init__(self, method: str) -> None:
        from channels.layers import get_channel_layer

        from studyai.events.publisher import get_publisher
        from studyai.events.transport import LIVE_MESSAGE_TYPE
        from studyai.events.types import Event, EventType

        self.method = method
        self.publisher = get_publisher()
        self.layer = get_channel_layer()
        self.loop = asyncio.new_event_loop()
        self.live_type = LIVE_MESSAGE_TYPE
        self.template = Event.create(EventType.USER_NOTIFICATION, 1, {"title": "bench", "message": "probe"}).to_dict()

    def build(self, user_id: int, cid: str) -> Event:
        from studyai.events.types import Event, EventType

        return Event.create(EventType.USER_NOTIFICATION, user_id, {"title": "bench", "message": "probe"}, correlation_id=cid)

    def envelope(self, user_id: int, cid: str) -> dict[str, Any]:
        return {**self.template, "event_id": str(uuid.uuid4()), "user_id": user_id, "correlation_id": cid}

    def send_one(self, user_id: int, tag: str, seq: int) -> float:
        """Send one event; returns how long the call took (ms)."""
        sent_ns = time.time_ns()
        cid = correlation(tag, seq, sent_ns)
        if self.method == "group_send":
            self.loop.run_until_complete(self._group_send([(user_id, cid)]))
        else:
            self.publisher.publish(self.build(user_id, cid))
        return (time.time_ns() - sent_ns) / 1e6

    def send_many(self, user_ids: Sequence[int], tag: str) -> None:
        """One event to each user, all stamped with the time the fan-out began."""
        sent_ns = time.time_ns()
        cids = [(uid, correlation(tag, seq, sent_ns)) for seq, uid in enumerate(user_ids)]
        if self.method == "group_send":
            self.loop.run_until_complete(self._group_send(cids))
        elif self.method == "publish_many":
            self.publisher.publish_many([self.build(uid, cid) for uid, cid in cids])
        else:
            for uid, cid in cids:
                self.publisher.publish(self.build(uid, cid))

    async def _group_send(self, targets: Sequence[tuple[int, str]]) -> None:
        from studyai.events.groups import user_group

        for user_id, cid in targets:  # one after the other, as the relay does
            await self.layer.group_send(user_group(user_id), {"type": self.live_type, "event": self.envelope(user_id, cid)})


def paced(
    sender: Sender, user_id: int, rate: float, duration: float, tag: str, warmup: int, start_at: float | None
) -> dict[str, Any]:
    for seq in range(warmup):  # connections, caches, the relay's loop thread
        sender.send_one(user_id, WARMUP_TAG, seq)
        time.sleep(0.02)
    if start_at is not None:  # several senders start together (bounded wait)
        time.sleep(min(max(0.0, start_at - time.time()), 30.0))
    count = max(1, int(rate * duration))
    interval = 1.0 / rate
    lag_max = 0.0
    call_ms: list[float] = []
    start = time.perf_counter()
    for seq in range(count):
        # Absolute schedule: a slow send delays the next ones, which then go at once (catch-up),
        # so the achieved rate says whether the sender kept up.
        due = start + seq * interval
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        else:
            lag_max = max(lag_max, now - due)
        call_ms.append(sender.send_one(user_id, tag, seq))
    elapsed = time.perf_counter() - start
    return {"sent": count, "elapsed_s": elapsed, "rate": count / elapsed, "max_lag_ms": lag_max * 1000, "call_ms": call_ms}


def fanout(sender: Sender, user_ids: list[int], rounds: int, gap: float, tag: str) -> dict[str, Any]:
    sender.send_many(user_ids[:10], WARMUP_TAG)
    time.sleep(gap)
    send_s: list[float] = []
    for round_no in range(rounds):
        start = time.perf_counter()
        sender.send_many(user_ids, f"{tag}.{round_no}")
        send_s.append(time.perf_counter() - start)
        time.sleep(gap)  # let the previous round drain so that rounds do not overlap
    return {"sent": len(user_ids), "rounds": rounds, "send_s": send_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("paced")
    p.add_argument("--method", choices=["publish", "group_send"], required=True)
    p.add_argument("--user-id", type=int, required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--tag", required=True)
    p.add_argument("--start-at", type=float, default=None, help="time.time() at which to start the paced sends")
    f = sub.add_parser("fanout")
    f.add_argument("--method", choices=["publish_many", "publish", "group_send"], required=True)
    f.add_argument("--user-ids-file", required=True)
    f.add_argument("--rounds", type=int, default=3)
    f.add_argument("--gap", type=float, default=1.0)
    f.add_argument("--tag", required=True)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyai.settings")
    django.setup()
    sender = Sender(args.method)
    run: Callable[[], dict[str, Any]]
    if args.mode == "paced":
        run = lambda: paced(sender, args.user_id, args.rate, args.duration, args.tag, args.warmup, args.start_at)  # noqa: E731
    else:
        with open(args.user_ids_file) as fh:
            user_ids = [int(u) for u in json.load(fh)]
        run = lambda: fanout(sender, user_ids, args.rounds, args.gap, args.tag)  # noqa: E731
    print(json.dumps(run()), flush=True)


if __name__ == "__main__":
    main()
