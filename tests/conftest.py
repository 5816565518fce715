"""Shared fixtures: real Redis, users, and the real processes (daphne, Celery worker, the
notification service) started on free ports against the test database."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

import psutil
import pytest
import redis
from django.conf import settings
from django.db import connection, connections

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from studyai import processes
from studyai.celery import app as celery_app
from studyai.events.transport import reset_transport


@pytest.fixture(autouse=True)
def fast_settings(settings: Any) -> None:
    """No embeddings unless a test asks for them (loading the model takes seconds, when the
    semantic extra is installed), and test passwords hash in microseconds, not half a second."""
    settings.STUDYAI_INDEXING = {**settings.STUDYAI_INDEXING, "SEMANTIC": "off"}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """The tests' Redis with the event keys cleared (only ours: Celery's keys stay intact)."""
    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    stream = settings.STUDYAI_EVENTS["STREAM"]
    keys = list(client.scan_iter(f"{stream}*"))
    if keys:
        client.delete(*keys)
    reset_transport()
    yield client
    client.close()


def token_client(user: Any) -> APIClient:
    """An API client authenticated as `user` with a DRF token, as real clients are."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def api(user: Any) -> APIClient:
    return token_client(user)


@pytest.fixture
def other_api(other_user: Any) -> APIClient:
    return token_client(other_user)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run inline at .delay() (fast unit tests; the live tests use a real worker). Their
    errors are not raised at the caller (as on a worker), so retries run as they would there."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="alice", password="pw-alice-123")


@pytest.fixture
def other_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="bob", password="pw-bob-123")


def wait_until(condition: Callable[[], bool], timeout: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what() if callable(what) else what}"
        time.sleep(0.05)


def wait_for_notification(user: Any, event_type: str, timeout: float = 60.0) -> None:
    """Let the live processes finish what a test set off (e.g. indexing after processing) before
    the test ends: the database is emptied between tests, which must not race their writes."""
    from notifications.models import Notification

    wait_until(lambda: Notification.objects.filter(user=user, event_type=event_type).exists(), timeout, f"a {event_type} notification")


def database_url() -> str:
    """The URL of the database the tests run on (the test database), for child processes."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class LiveProcess:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: Popen[bytes] | None = None
    port: int | None = None

    def start(self) -> "LiveProcess":
        self.proc = processes.spawn(self.args, env=self.env, log_path=self.log_path)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop(self.proc)

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, no acks, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(5)

    def kill_pool_child(self) -> None:
        """SIGKILL the Celery worker's one pool process (the one running the task), as a crash
        does; the main process sees it lost and, with acks late, the task goes back to the queue."""
        assert self.proc is not None
        pool = psutil.Process(self.proc.pid).children()
        assert len(pool) == 1, f"expected one pool process, found {len(pool)}"
        os.kill(pool[0].pid, 9)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not log {text!r}:\n{self.log()[-3000:]}")
            time.sleep(0.1)


@pytest.fixture(scope="session")
def live_env(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    with django_db_blocker.unblock():
        url = database_url()
    return {
        "DJANGO_SETTINGS_MODULE": "studyai.settings",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "STUDYAI_VAR_DIR": str(settings.VAR_DIR),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SECRET_KEY": settings.SECRET_KEY,
        "EVENT_RETRY_BASE_MS": "300",
        "EVENT_CLAIM_IDLE_MS": "2000",
        "SEMANTIC_SEARCH": "off",
        "DATABASE_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture(scope="session")
def start_process(live_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveProcess]]:
    """Start a named process with the live environment; all are stopped at the end of the session."""
    started: list[LiveProcess] = []
    logs = tmp_path_factory.mktemp("logs")

    def start(name: str, args: list[str], env: dict[str, str] | None = None, port: int | None = None) -> LiveProcess:
        live = LiveProcess(name, args, {**live_env, **(env or {})}, logs / f"{name}-{len(started)}.log", port=port)
        started.append(live.start())
        return live

    yield start
    for live in started:
        live.stop()


def start_worker(start_process: Callable[..., LiveProcess], name: str = "worker", env: dict[str, str] | None = None) -> LiveProcess:
    """A real Celery worker on all three queues, one pool process."""
    worker = start_process(
        name, processes.worker_command(["document_queue", "indexing_queue", "quiz_queue"], f"test-{name}", concurrency=1), env=env
    )
    worker.wait_for_log("ready.", timeout=60)
    return worker


@pytest.fixture(scope="module")
def celery_worker_proc(start_process: Callable[..., LiveProcess]) -> Iterator[LiveProcess]:
    # Per module, so a module that kills its own worker has the queues to itself.
    worker = start_worker(start_process)
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def daphne_proc(start_process: Callable[..., LiveProcess]) -> LiveProcess:
    port = processes.free_port()
    daphne = start_process("daphne", processes.daphne_command(port), port=port)
    processes.wait_for_port(port, daphne.proc)
    return daphne


def db_thread(target: Callable[[], Any]) -> "threading.Thread":
    """A started thread that uses the database and closes its connection when done (an open
    one would keep the test database from being dropped)."""

    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def indexing_service(start_process: Callable[..., LiveProcess]) -> Iterator[LiveProcess]:
    """The indexing service (it turns document.processed into indexing runs), per module."""
    service = start_process("indexing-service", processes.manage("run_indexing_service"))
    service.wait_for_log("consuming")
    yield service
    service.stop()


@pytest.fixture(scope="module")
def notification_service(start_process: Callable[..., LiveProcess]) -> Iterator[LiveProcess]:
    """The notification service, per module (a module may kill and restart its own)."""
    service = start_process("notification-service", processes.manage("run_notification_service"))
    service.wait_for_log("consuming")
    yield service
    service.stop()
