"""How many authenticated idle WebSockets one daphne process holds, its memory per connection,
and the time to deliver one event to each of 1,000 connected users, beside a bare consumer.

Two phases, one daphne each (never both at once: they would share the channel layer and the CPU):

  app    studyai.asgi (origin check, session + DRF-token auth, NotificationConsumer)
  bare   bench/bare_asgi.py (joins user.<id> from ?user=, forwards; no auth, no database)

In each phase: one warm-up socket (imports, the channel layer's Redis connection), RSS measured,
--connections sockets opened (one user each; at most --connect-concurrency handshakes in flight),
held idle for --idle-seconds, RSS measured again, then fan-outs from a separate process
(bench/_sender.py): one event to each of the first --fanout-users users, --rounds times.
Fan-out paths: `group_send` (bare channel-layer group_send per user; both phases) and, in the app
phase, `publish_many` (EventPublisher, one transaction: outbox, one relay batch, group_send per
user) and `publish` (one publish() per user outside a transaction, each relayed on its own).
"Complete" is the time from the first send of a round until the last of the users has the event.

RLIMIT_NOFILE is raised in this process and in each daphne child (preexec_fn) to fit.

    .venv/bin/python -m bench.ws_connections [--connections 1000] [--fanout-users 1000] [--rounds 5]
    .venv/bin/python -m bench.ws_connections --connections 10000      # the large run
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from dataclasses import dataclass, field

from bench._common import (
    BenchEnv,
    BenchUser,
    Collector,
    base_parser,
    bench_env,
    close_sockets,
    create_users,
    describe_machine,
    fmt,
    freeze_gc,
    load_average,
    median,
    open_socket,
    open_sockets,
    percentile,
    print_table,
    run_child,
)

PATH = "/ws/notifications/"
MiB = 1024 * 1024


@dataclass
class Fanout:
    method: str
    users: int
    complete_ms: list[float] = field(default_factory=list)  # per round: until the last user has it
    p50_ms: list[float] = field(default_factory=list)  # per round: the median user's wait
    delivered: list[int] = field(default_factory=list)
    send_ms: list[float] = field(default_factory=list)  # per round: the sender's own time
    daphne_cpu_ms: float = 0.0  # daphne CPU per round (user + system), its idle CPU taken off


@dataclass
class Phase:
    name: str
    wanted: int
    opened: int = 0
    errors: list[str] = field(default_factory=list)
    connect_s: float = 0.0
    open_after_idle: int = 0
    rss_before: int = 0
    rss_after: int = 0
    idle_cpu_per_s: float = 0.0  # daphne CPU seconds per second while the sockets are idle (pings, checks)
    fanouts: list[Fanout] = field(default_factory=list)

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after - self.rss_before) / max(self.opened, 1) / 1024


def socket_url(phase: str, port: int, user: BenchUser) -> tuple[str, list[str]]:
    if phase == "app":  # the token in the subprotocol list, as real clients send it
        return f"ws://127.0.0.1:{port}{PATH}", user.subprotocols
    return f"ws://127.0.0.1:{port}{PATH}?user={user.id}", ["studyai"]


def daphne_cpu_s(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def fan_out(env: BenchEnv, collector: Collector, phase: Phase, method: str, ids_file: str, users: int,
                  rounds: int, daphne_pid: int, timeout: float) -> Fanout:
    tag = f"{phase.name}-{method}"
    result = Fanout(method, users)
    cpu_before = daphne_cpu_s(daphne_pid)
    wall_before = time.monotonic()
    # The sender waits `gap` seconds after each round; the collector keeps reading meanwhile.
    summary = await run_child(
        env, f"fanout-{tag}", "bench._sender",
        ["fanout", "--method", method, "--user-ids-file", ids_file, "--rounds", str(rounds), "--gap", "1.5", "--tag", tag],
        timeout=rounds * (timeout + 5) + 60,
    )
    # The child's run includes its start-up and the gaps between rounds: take daphne's idle CPU off.
    idle_cpu = phase.idle_cpu_per_s * (time.monotonic() - wall_before)
    result.daphne_cpu_ms = max(0.0, daphne_cpu_s(daphne_pid) - cpu_before - idle_cpu) * 1000 / rounds
    for round_no in range(rounds):
        round_tag = f"{tag}.{round_no}"
        await collector.wait_for(round_tag, users, timeout=timeout)
        receipts = collector.of(round_tag)
        latencies = [r.latency_ms for r in receipts]
        result.delivered.append(len({r.socket for r in receipts}))
        result.complete_ms.append(max(latencies, default=float("nan")))
        result.p50_ms.append(percentile(latencies, 50))
        result.send_ms.append(float(summary["send_s"][round_no]) * 1000)
    return result


async def run_phase(env: BenchEnv, args: argparse.Namespace, phase: str, application: str, users: list[BenchUser],
                    ids_file: str, methods: list[str]) -> Phase:
    result = Phase(phase, args.connections)
    daphne = env.start_daphne(f"daphne-{phase}", application, nofile=args.connections + 1024)
    collector = Collector()
    sockets: list[object] = []
    try:
        # Warm-up: the first connection imports the consumer stack and opens Redis/DB connections.
        warm = await open_socket(*socket_url(phase, daphne.port, users[0]))
        await warm.close()
        await asyncio.sleep(1.0)
        result.rss_before = daphne.rss()

        start = time.perf_counter()
        sockets, errors = await open_sockets(
            [socket_url(phase, daphne.port, u) for u in users[: args.connections]],
            concurrency=args.connect_concurrency,
            timeout=args.connect_timeout,
        )
        result.connect_s = time.perf_counter() - start
        result.opened = len(sockets)
        result.errors = sorted({f"{type(e).__name__}: {e}"[:120] for e in errors})
        print(f"  {phase}: {len(sockets)}/{args.connections} sockets open in {result.connect_s:.1f} s", flush=True)
        for index, ws in enumerate(sockets):
            collector.watch(index, ws)
        freeze_gc()

        cpu_before, wall_before = daphne_cpu_s(daphne.proc.pid), time.monotonic()
        await asyncio.sleep(args.idle_seconds)
        result.idle_cpu_per_s = (daphne_cpu_s(daphne.proc.pid) - cpu_before) / (time.monotonic() - wall_before)
        result.open_after_idle = len(sockets) - collector.closed
        result.rss_after = daphne.rss()

        fanout_users = min(args.fanout_users, len(sockets))
        if fanout_users < args.fanout_users:
            print(f"  {phase}: only {fanout_users} sockets for the fan-out", flush=True)
        for method in methods:
            fanout = await fan_out(env, collector, result, method, ids_file, fanout_users, args.rounds,
                                   daphne.proc.pid, timeout=args.fanout_timeout)
            result.fanouts.append(fanout)
            print(f"  {phase}: fan-out via {method}: complete {[round(x) for x in fanout.complete_ms]} ms", flush=True)
    finally:
        await collector.stop()
        await close_sockets(sockets)
        gc.unfreeze()
        env.stop(daphne.proc)
    return result


def report(phases: list[Phase], args: argparse.Namespace) -> None:
    rows = []
    for p in phases:
        rows.append([
            p.name, f"{p.opened:,}/{p.wanted:,}", f"{p.open_after_idle:,}", fmt(p.connect_s, 1),
            fmt(p.opened / p.connect_s if p.connect_s else float("nan"), 0),
            fmt(p.rss_before / MiB, 1), fmt(p.rss_after / MiB, 1), fmt(p.kib_per_connection, 1),
            f"{p.idle_cpu_per_s:.1%}", "; ".join(p.errors[:3]) or "—",
        ])
    print_table(
        f"Idle connections held by one daphne (held {args.idle_seconds:.0f} s)",
        ["server", "opened", "open after idle", "connect s", "connects/s", "RSS before MiB", "RSS after MiB",
         "KiB / connection", "idle CPU", "errors"],
        rows,
    )
    base = next(f for p in phases if p.name == "bare" for f in p.fanouts if f.method == "group_send")
    rows = []
    for p in phases:
        for f in p.fanouts:
            rows.append([
                f"{p.name} consumer, {f.method}", f"{f.users:,}", f"{min(f.delivered):,}",
                fmt(median(f.complete_ms), 0), f"{fmt(min(f.complete_ms), 0)}–{fmt(max(f.complete_ms), 0)}",
                fmt(median(f.p50_ms), 0), fmt(median(f.send_ms), 0), fmt(f.daphne_cpu_ms, 0),
                f"{median(f.complete_ms) / median(base.complete_ms):.2f}",
            ])
    print_table(
        f"Fan-out: one event to each of {base.users:,} connected users, {args.rounds} rounds (median)",
        ["server, sender", "users", "delivered (min)", "complete ms", "range", "median user ms", "sender ms",
         "daphne CPU ms / round", "x bare"],
        rows,
    )
    print(f"at the end: {load_average()}")


async def run_async(env: BenchEnv, args: argparse.Namespace, users: list[BenchUser], ids_file: str) -> list[Phase]:
    return [
        await run_phase(env, args, "app", "studyai.asgi:application", users, ids_file, ["group_send", "publish_many", "publish"]),
        await run_phase(env, args, "bare", "bench.bare_asgi:application", users, ids_file, ["group_send"]),
    ]


def main() -> None:
    parser = base_parser(__doc__.split("\n", 1)[0])
    parser.add_argument("--connections", type=int, default=1000, help="idle authenticated sockets to open (one user each)")
    parser.add_argument("--fanout-users", type=int, default=1000, help="users that each get one event per fan-out")
    parser.add_argument("--rounds", type=int, default=5, help="fan-outs per path")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight at once")
    parser.add_argument("--connect-timeout", type=float, default=240.0, help="cap on opening all sockets, seconds")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="hold the sockets idle this long before measuring")
    parser.add_argument("--fanout-timeout", type=float, default=30.0, help="cap on one fan-out round, seconds")
    args = parser.parse_args()
    # Client sockets + margin; the daphne children get theirs in start_daphne.
    with bench_env(args, nofile=args.connections + 1024) as env:
        print(f"machine: {describe_machine(env)}", flush=True)
        users = create_users(max(args.connections, args.fanout_users), prefix="conn")
        ids_file = env.tmpdir / "fanout-users.json"
        ids_file.write_text(json.dumps([u.id for u in users[: min(args.fanout_users, args.connections)]]))
        phases = asyncio.run(run_async(env, args, users, str(ids_file)))
        report(phases, args)


if __name__ == "__main__":
    main()
