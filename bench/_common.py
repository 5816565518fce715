"""What the benchmarks share: an isolated environment (own Redis, own database, own daphne in a
temporary folder) that is always torn down, users with DRF tokens, WebSocket clients that record
when each event arrives, a child-process runner, statistics and Markdown tables.

Import order matters: nothing here imports Django at module level, because the environment
(DATABASE_URL, REDIS_URL, ...) must be set before Django reads its settings. `bench_env()` sets it
and then calls `django.setup()`.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # so `studyai` imports when run as a script too
    sys.path.insert(0, str(BASE_DIR))

from studyai import processes  # noqa: E402  (no Django import: safe before the env is set)

# ---- command line ---------------------------------------------------------------------------


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=None,
        help="run on this PostgreSQL server instead of a SQLite file: a throwaway database bench_<pid> "
        "is created on it and dropped afterwards (e.g. postgres://postgres@127.0.0.1:5432/test)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) after the run")
    return parser


# ---- the environment ------------------------------------------------------------------------


def raise_nofile(wanted: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards `wanted` (capped by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


@dataclass
class BenchEnv:
    tmpdir: Path
    redis_url: str
    database_url: str
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def logs(self) -> Path:
        return self.tmpdir / "logs"

    def spawn(self, name: str, args: Sequence[str], nofile: int | None = None) -> subprocess.Popen[bytes]:
        """Start a child in its own process group (stopped at the end of the run, whatever
        happens), logging to logs/<name>.log, with RLIMIT_NOFILE raised if asked."""
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        preexec = (lambda: raise_nofile(nofile)) if nofile else None  # noqa: E731
        proc = subprocess.Popen(
            list(args), cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=preexec
        )
        log.close()
        self.children.append(proc)
        return proc

    def start_daphne(self, name: str, application: str = "studyai.asgi:application", nofile: int | None = None) -> Daphne:
        port = processes.free_port()
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), application]
        proc = self.spawn(name, args, nofile=nofile)
        try:
            processes.wait_for_port(port, proc)
        except Exception:
            print(self.log_tail(name), file=sys.stderr)
            raise
        return Daphne(name, proc, port)

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        processes.stop(proc, timeout=15)
        if proc in self.children:
            self.children.remove(proc)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


@dataclass
class Daphne:
    name: str
    proc: subprocess.Popen[bytes]
    port: int

    def url(self, path: str, **query: str | int) -> str:
        return f"ws://127.0.0.1:{self.port}{path}" + (f"?{urlencode(query)}" if query else "")

    def rss(self) -> int:
        import psutil

        return int(psutil.Process(self.proc.pid).memory_info().rss)


def _create_pg_database(admin_url: str) -> str:
    import psycopg

    name = f"bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


def _drop_pg_database(admin_url: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def bench_env(args: argparse.Namespace, nofile: int = 4096) -> Iterator[BenchEnv]:
    """Own Redis (embedded, not persistent) and own database (a SQLite file in a temporary folder,
    or a throwaway PostgreSQL database), the environment set for Django and every child, the
    schema migrated. On exit, Ctrl-C, SIGTERM or error: children, Redis and the database go."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # so `finally` runs on SIGTERM too
    raise_nofile(nofile)
    tmpdir = Path(tempfile.mkdtemp(prefix="studyai-bench-"))
    (tmpdir / "logs").mkdir()
    redis_proc: subprocess.Popen[bytes] | None = None
    pg_url: str | None = None
    env: BenchEnv | None = None
    try:
        port = processes.free_port()
        redis_proc = processes.start_embedded_redis(port, tmpdir / "redis", persistent=False)
        redis_url = f"redis://127.0.0.1:{port}/0"
        if args.database_url:
            pg_url = _create_pg_database(args.database_url)
        database_url = pg_url or f"sqlite:///{tmpdir / 'bench.sqlite3'}"
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "studyai.settings",
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": redis_url,
                "STUDYAI_VAR_DIR": str(tmpdir),
                "MEDIA_ROOT": str(tmpdir / "media"),
                "SECRET_KEY": "bench-secret-key",
                "DEBUG": "0",  # DEBUG would record every query
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        env = BenchEnv(tmpdir, redis_url, database_url)
        yield env
    finally:
        if env is not None:
            for proc in reversed(env.children):
                processes.stop(proc, timeout=15)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if redis_proc is not None:
            processes.stop(redis_proc)
        if pg_url is not None and args.database_url:
            _drop_pg_database(args.database_url, pg_url)
        if args.keep:
            print(f"(kept {tmpdir})")
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


def describe_machine(env: BenchEnv) -> str:
    """One line saying what the figures were measured on."""
    import redis
    from django.conf import settings
    from django.db import connection

    info = redis.Redis.from_url(env.redis_url).info("server")
    db = connection.vendor
    if db == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            db += " " + cursor.fetchone()[0]
    else:
        import sqlite3

        db += f" {sqlite3.sqlite_version} (file, WAL)"
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, Redis {info['redis_version']} "
        f"(embedded, loopback), {db}, channel layer {layer}, "
        f"CONN_MAX_AGE={settings.DATABASES['default'].get('CONN_MAX_AGE')}; {load_average()}"
    )


def load_average() -> str:
    """Other work on the machine skews every figure: say how busy it was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


# ---- users ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchUser:
    id: int
    token: str

    @property
    def subprotocols(self) -> list[str]:
        return ["studyai", f"token.{self.token}"]


def create_users(count: int, prefix: str = "bench") -> list[BenchUser]:
    """`count` active users, each with a DRF token; bulk inserts (no password hashing)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        [user_model(username=f"{prefix}{i}", password=unusable) for i in range(count)], batch_size=500
    )
    if any(u.pk is None for u in users):  # a backend that does not return ids from bulk inserts
        users = list(user_model.objects.filter(username__startswith=prefix).order_by("pk"))
    tokens = Token.objects.bulk_create([Token(key=Token.generate_key(), user=u) for u in users], batch_size=500)
    return [BenchUser(int(t.user.pk), t.key) for t in tokens]


# ---- WebSocket clients ------------------------------------------------------------------------


def correlation(tag: str, seq: int, sent_ns: int) -> str:
    """What a benchmark puts in an event's correlation_id: which run, which event, when sent."""
    return f"{tag}:{seq}:{sent_ns}"


@dataclass(frozen=True)
class Receipt:
    tag: str
    seq: int
    sent_ns: int
    recv_ns: int
    socket: int

    @property
    def latency_ms(self) -> float:
        return (self.recv_ns - self.sent_ns) / 1e6


class Collector:
    """Reads frames from many sockets and records every live event that carries a benchmark
    correlation id, with the time it arrived (time.time_ns(): the same clock as the sender's)."""

    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self.other_frames = 0
        self.closed = 0
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def watch(self, index: int, ws: Any) -> None:
        self._tasks.append(asyncio.create_task(self._read(index, ws)))

    async def _read(self, index: int, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                now = time.time_ns()  # before parsing: parse time is the client's, not the server's
                frame = json.loads(raw)
                cid = frame.get("event", {}).get("correlation_id") if frame.get("type") == "event" else None
                if not cid or cid.count(":") < 2:
                    self.other_frames += 1
                    continue
                tag, seq, sent = cid.rsplit(":", 2)
                self.receipts.append(Receipt(tag, int(seq), int(sent), now, index))
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.closed += 1
            self._changed.set()

    def count(self, tag: str) -> int:
        return sum(1 for r in self.receipts if r.tag == tag)

    def of(self, tag: str) -> list[Receipt]:
        return [r for r in self.receipts if r.tag == tag]

    async def wait_for(self, tag: str, expected: int, timeout: float) -> int:
        """Wait until `expected` receipts of `tag` arrived or `timeout` passed; returns the count."""
        deadline = time.monotonic() + timeout
        while (got := self.count(tag)) < expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return got
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return got

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


def freeze_gc() -> None:
    """Move what the client allocated so far (sockets, tasks) out of the garbage collector's
    sight, so that a full collection in the client does not pause in the middle of a measurement."""
    gc.collect()
    gc.freeze()


async def open_socket(url: str, subprotocols: Sequence[str], timeout: float = 30.0) -> Any:
    """Connect and wait for the server's first frame (unread_count / ready): by then the consumer
    has joined its group, so an event sent afterwards cannot be missed."""
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        subprotocols=list(subprotocols),  # type: ignore[arg-type]
        compression=None,
        proxy=None,
        open_timeout=timeout,
        ping_interval=None,  # daphne pings; the client answers
        close_timeout=2,
    )
    try:
        await asyncio.wait_for(ws.recv(), timeout)
    except BaseException:
        await ws.close()
        raise
    return ws


async def open_sockets(
    urls_and_protocols: Sequence[tuple[str, Sequence[str]]], concurrency: int, timeout: float
) -> tuple[list[Any], list[BaseException]]:
    """Open many sockets, at most `concurrency` handshakes at a time, within `timeout` overall."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(url: str, protocols: Sequence[str]) -> Any:
        async with semaphore:
            return await open_socket(url, protocols, timeout=min(timeout, 60.0))

    tasks = [asyncio.create_task(one(u, p)) for u, p in urls_and_protocols]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    sockets: list[Any] = []
    errors: list[BaseException] = []
    for task in tasks:
        if task in done and task.exception() is None:
            sockets.append(task.result())
        elif task in done:
            errors.append(task.exception())  # type: ignore[arg-type]
        else:
            errors.append(TimeoutError("connect did not finish in time"))
    return sockets, errors


async def close_sockets(sockets: Sequence[Any], concurrency: int = 200) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(ws: Any) -> None:
        async with semaphore:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)

    await asyncio.gather(*(one(ws) for ws in sockets))


# ---- child processes ------------------------------------------------------------------------


async def run_child(env: BenchEnv, name: str, module: str, args: Sequence[str], timeout: float) -> dict[str, Any]:
    """Run `python -m module args` as a separate process (its own process group), without
    blocking this event loop; returns the JSON object it prints last. Killed on timeout or
    cancellation."""
    with open(env.logs / f"{name}.log", "ab") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=log, start_new_session=True
        )
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"{module} exited with {proc.returncode}:\n{env.log_tail(name)}")
    lines = stdout.decode().strip().splitlines()
    return dict(json.loads(lines[-1])) if lines else {}


# ---- figures --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def fmt(value: float, digits: int = 1) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table (pastes straight into docs/benchmarks.md)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))) + " |"

    print(f"\n{title}\n")
    print(line(cells[0]))
    print("| " + " | ".join(("-" * w if i == 0 else "-" * (w - 1) + ":") for i, w in enumerate(widths)) + " |")
    for row in cells[1:]:
        print(line(row))
    print(flush=True)

