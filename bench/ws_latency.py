"""Latency from publish() in a separate process to receipt at a WebSocket client, beside a bare
channel-layer group_send from a separate process through the same consumer.

Set-up: own Redis and database, one user with a DRF token, daphne serving studyai.asgi, one
WebSocket on /ws/notifications/ authenticated with the token subprotocol. For each rate, two
paths are measured one after the other, each with fresh sender processes (bench/_sender.py):

  baseline   group_send(user.<id>, {"type": "event.message", "event": envelope})  → consumer → client
  publisher  EventPublisher.publish(user.notification)  → outbox → relay → group_send → consumer → client

The sender stamps time.time_ns() into the event's correlation_id just before the send (for the
publisher, before Event.create + publish); the client takes time.time_ns() as the frame arrives.
Sends are paced on an absolute schedule; if a sender cannot keep up, the achieved rate shows it
(then --senders N splits the rate over N processes that start together).

    .venv/bin/python -m bench.ws_latency [--rates 100,1000] [--duration 3] [--rounds 1] [--senders 1]
"""
from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field

from bench._common import (
    BenchEnv,
    BenchUser,
    Collector,
    base_parser,
    bench_env,
    create_users,
    describe_machine,
    fmt,
    freeze_gc,
    load_average,
    open_socket,
    percentile,
    print_table,
    run_child,
)

GOAL_P99_MS = 20.0
GOAL_P99_RATE = 1000
GOAL_P50_RATIO = 2.0
PATHS = {"group_send": "baseline: bare group_send", "publish": "EventPublisher.publish"}


@dataclass
class Result:
    path: str
    rate: float
    achieved: float = 0.0  # events/s over all senders
    sent: int = 0
    received: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)  # how long each send call took in the sender
    max_lag_ms: float = 0.0  # how far the most late sender fell behind its schedule

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def merge(self, other: Result) -> None:
        self.achieved = (self.achieved * bool(self.sent) + other.achieved) / (1 + bool(self.sent))
        self.sent += other.sent
        self.received += other.received
        self.latencies_ms += other.latencies_ms
        self.call_ms += other.call_ms
        self.max_lag_ms = max(self.max_lag_ms, other.max_lag_ms)


async def measure(env: BenchEnv, collector: Collector, user_id: int, method: str, rate: float, args: argparse.Namespace,
                  tag: str) -> Result:
    # Senders start together, a few seconds from now: time for Django to load and to warm up.
    start_at = time.time() + 4.0
    per_sender = rate / args.senders
    summaries = await asyncio.gather(*(
        run_child(
            env, f"sender-{tag}-{k}", "bench._sender",
            ["paced", "--method", method, "--user-id", str(user_id), "--rate", str(per_sender),
             "--duration", str(args.duration), "--tag", tag, "--start-at", str(start_at)],
            timeout=args.duration * 10 + 60,
        )
        for k in range(args.senders)
    ))
    sent = sum(int(s["sent"]) for s in summaries)
    received = await collector.wait_for(tag, sent, timeout=5.0)
    return Result(
        PATHS[method], rate,
        achieved=sum(float(s["rate"]) for s in summaries),
        sent=sent, received=received,
        latencies_ms=[r.latency_ms for r in collector.of(tag)],
        call_ms=[float(x) for s in summaries for x in s["call_ms"]],
        max_lag_ms=max(float(s["max_lag_ms"]) for s in summaries),
    )


async def run_async(env: BenchEnv, args: argparse.Namespace, user: BenchUser) -> list[Result]:
    daphne = env.start_daphne("daphne")
    ws = await open_socket(daphne.url("/ws/notifications/"), user.subprotocols)
    collector = Collector()
    collector.watch(0, ws)
    freeze_gc()
    results: list[Result] = []
    try:
        for round_no in range(args.rounds):
            for rate in args.rates:
                # Baseline first, then the publisher, for each rate: both see the same daphne state.
                for method in ("group_send", "publish"):
                    tag = f"{method}-{int(rate)}-{round_no}"
                    res = await measure(env, collector, user.id, method, rate, args, tag)
                    results.append(res)
                    print(f"  {res.path:<26} {rate:>6.0f}/s (reached {res.achieved:6.0f}/s)  p50 {res.p(50):6.2f} ms  "
                          f"p99 {res.p(99):7.2f} ms  ({res.received}/{res.sent})", flush=True)
    finally:
        await collector.stop()
        await ws.close()
    if collector.closed and not all(r.received == r.sent for r in results):
        print("WARNING: the socket closed during the run", flush=True)
    return results


def report(results: list[Result], args: argparse.Namespace) -> None:
    rows = []
    verdicts = []
    for rate in sorted({r.rate for r in results}):
        merged = {path: Result(path, rate) for path in PATHS.values()}
        for r in results:
            if r.rate == rate:
                merged[r.path].merge(r)
        base, app = merged[PATHS["group_send"]], merged[PATHS["publish"]]
        for res in merged.values():
            rows.append([
                res.path, f"{rate:,.0f}", fmt(res.achieved, 0), f"{res.received}/{res.sent}",
                fmt(res.p(50), 2), fmt(res.p(90), 2), fmt(res.p(99), 2), fmt(max(res.latencies_ms, default=float("nan")), 1),
                f"{res.p(50) / base.p(50):.2f}", fmt(percentile(res.call_ms, 50), 2), fmt(percentile(res.call_ms, 99), 2),
            ])
        ratio = app.p(50) / base.p(50)
        verdicts.append(f"{rate:,.0f}/s: p50 {app.p(50):.2f} ms = {ratio:.2f}x the baseline's {base.p(50):.2f} ms "
                        f"({'met' if ratio <= GOAL_P50_RATIO else 'NOT met'}: goal <= {GOAL_P50_RATIO}x)")
        if rate == GOAL_P99_RATE:
            verdicts.append(f"{rate:,.0f}/s: p99 {app.p(99):.2f} ms "
                            f"({'met' if app.p(99) < GOAL_P99_MS else 'NOT met'}: goal < {GOAL_P99_MS:.0f} ms)")
        for res in merged.values():
            if res.achieved < 0.95 * rate:
                verdicts.append(f"{rate:,.0f}/s: {res.path} reached only {res.achieved:,.0f}/s with {args.senders} "
                                f"sender process(es) (fell up to {res.max_lag_ms:,.0f} ms behind schedule)")
    print_table(
        f"Publish → WebSocket latency (ms), one socket, paced sends, {args.senders} sender process(es), "
        f"{args.duration:g} s x {args.rounds} round(s) per row",
        ["path", "target/s", "reached/s", "received", "p50", "p90", "p99", "max", "p50 / baseline",
         "send call p50", "send call p99"],
        rows,
    )
    for line in verdicts:
        print(f"- {line}")
    print(f"at the end: {load_average()}")


def main() -> None:
    parser = base_parser(__doc__.split("\n", 1)[0])
    parser.add_argument("--rates", default="100,1000", help="comma-separated target events/s")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of paced sending per measurement")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every (rate, path) this many times (pooled)")
    parser.add_argument("--senders", type=int, default=1, help="sender processes sharing each rate")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    with bench_env(args) as env:
        print(f"machine: {describe_machine(env)}", flush=True)
        [user] = create_users(1, prefix="latency")  # sync ORM: before the event loop starts
        results = asyncio.run(run_async(env, args, user))
        report(results, args)


if __name__ == "__main__":
    main()
