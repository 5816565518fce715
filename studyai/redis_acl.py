"""Least-privilege Redis users, one per role, generated from the key prefixes in settings (one
place, so the ACLs cannot drift from the keys the code uses).

Roles (which process runs as which: `role_for_argv`; STUDYAI_REDIS_ROLE overrides):

- web: daphne (HTTP + WebSocket) and every other manage.py command: channel-layer groups, the
  throttle cache, publishing events (stream append + live mirror), sending Celery tasks, the
  health check (event-service heartbeats, asking the workers which queues they consume).
- worker: Celery workers: consume their queues (with kombu's unacked bookkeeping), answer
  control requests, publish events, send follow-up tasks.
- events: the event services (notifications, indexing), the outbox relay, the watchdog, the
  dead-letter tool and rotate_event_keys: consumer groups on the stream, the dead-letter stream,
  re-sealing stream entries (XADD + XDEL), heartbeats, channel-layer sends, sending tasks (never
  consuming a queue).
- monitor: read-only: XRANGE / XREAD / XINFO on the stream and the dead letters, PSUBSCRIBE to
  the live mirror; no writes, no Celery keys.

Each role is a set of capabilities (commands + the keys and channels they may touch). Redis 7+
gets one ACL selector per capability, so e.g. the events role may DEL only reply queues and
dead letters; Redis 6.2 (the embedded one of `make run`) has no selectors and gets their union.

This module imports no Django: settings.py uses it to pick the process's role.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ROLES: tuple[str, ...] = ("web", "worker", "events", "monitor")
DEFAULT_ROLE = "web"
USER_PREFIX = "studyai-"

# manage.py commands that run as the events role, and the one that runs as monitor.
EVENTS_COMMANDS = frozenset(
    {"run_notification_service", "run_indexing_service", "run_quiz_service", "relay_outbox", "run_watchdog", "dead_letters", "rotate_event_keys"}
)
MONITOR_COMMANDS = frozenset({"monitor_events"})

# Every client: connect, authenticate, pick its database, keep the connection alive,
# MULTI/EXEC (kombu's and redis-py's pipelines are transactions by default).
CONNECTION_COMMANDS = ("auth", "hello", "ping", "echo", "select", "client|id", "client|setname", "client|getname", "multi", "exec", "discard")


def role_for_argv(argv: Sequence[str]) -> str:
    """The role of the process started with `argv`: a Celery worker, an event service, the
    monitor, or web (daphne and any other command)."""
    program = Path(argv[0]) if argv else Path()
    # `celery ... worker`, or `python -m celery ... worker` (argv[0] is celery/__main__.py)
    if (program.name.startswith("celery") or program.parent.name == "celery") and "worker" in argv:
        return "worker"
    command = next((a for a in argv[1:] if not a.startswith("-")), "") if program.name == "manage.py" else ""
    if command in EVENTS_COMMANDS:
        return "events"
    if command in MONITOR_COMMANDS:
        return "monitor"
    return DEFAULT_ROLE


@dataclass(frozen=True)
class Namespace:
    """The keys and channels StudyAI uses in one Redis, read from settings."""

    stream: str
    dead_letter_stream: str
    layer_prefix: str
    cache_prefix: str
    queues: tuple[str, ...]
    broker_db: int

    @classmethod
    def from_settings(cls) -> "Namespace":
        from django.conf import settings

        from studyai.celery import QUEUES

        return cls(
            stream=settings.STUDYAI_EVENTS["STREAM"],
            dead_letter_stream=settings.STUDYAI_EVENTS["DEAD_LETTER_STREAM"],
            layer_prefix=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
            cache_prefix=settings.CACHES["default"]["KEY_PREFIX"],
            queues=tuple(QUEUES),
            broker_db=url_db(settings.CELERY_BROKER_URL),
        )

    @property
    def health_prefix(self) -> str:
        return f"{self.stream}.health:"  # EventTransport.write_heartbeat

    @property
    def live_pattern(self) -> str:
        return f"{self.stream}:*"  # transport.live_channel, psubscribed by monitors

    @property
    def fanout(self) -> str:
        return f"/{self.broker_db}."  # kombu's Redis fanout prefix ('/{db}.')


@dataclass(frozen=True)
class Capability:
    name: str
    commands: tuple[str, ...]
    keys: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def rules(self) -> list[str]:
        return [f"+{c}" for c in self.commands] + [f"~{k}" for k in self.keys] + [f"&{c}" for c in self.channels]


def capabilities(ns: Namespace) -> dict[str, list[Capability]]:
    """What each role may do, capability by capability."""
    stream, dead = ns.stream, ns.dead_letter_stream
    queue_keys = tuple(f"{q}*" for q in ns.queues)  # a queue and its priority lists (q\x06\x16N)
    scripts = ("evalsha", "eval", "script|load", "script|exists")  # kombu's binding scripts, redis-py's Lock
    publish_events = [
        Capability("stream-append", ("xadd",), (stream,)),
        Capability("live-mirror", ("publish",), channels=(ns.live_pattern,)),
        Capability("layer-send", ("publish",), channels=(f"{ns.layer_prefix}*",)),
    ]
    cache = Capability("cache", ("get", "set", "mget", "incrby", "decrby", "del", "exists", "expire", "persist", "ttl"), (f"{ns.cache_prefix}:*",))
    # Sending a task: look up (and declare) the queue's binding, LPUSH it, announce task-sent.
    send_tasks = [
        Capability("kombu-bindings", ("smembers", "sadd", "srem", "exists", "del", "zadd", "zrem", "zrangebyscore", "time", "watch", *scripts), ("_kombu.*",)),
        Capability("task-send", ("lpush", "rpush", "llen", "exists"), queue_keys),  # declaring a queue counts it (LLEN)
        Capability("celery-events", ("publish",), channels=(f"{ns.fanout}celeryev*",)),
    ]
    # `inspect()` (the health check, the watchdog): broadcast on the pidbox, collect the replies
    # from a reply queue of its own, which is deleted afterwards.
    control = [
        Capability("control-broadcast", ("publish",), channels=(f"{ns.fanout}celery.pidbox*",)),
        # Reply queues expire (x-expires): PEXPIRE on declare and on each reply.
        Capability("control-replies", ("brpop", "rpop", "lpush", "llen", "exists", "pexpire", "del"), ("*.reply.celery.pidbox*",)),
        # Every kombu channel that consumed (here: the replies) runs kombu's visibility sweep on
        # close, which gives overdue unacked tasks back to their queues (RPUSH/LPUSH).
        Capability(
            "kombu-unacked",
            ("zadd", "zrem", "zrange", "zrevrangebyscore", "hset", "hget", "hdel", "set", "get", "del", "watch", "unwatch", *scripts),
            ("unacked", "unacked_index", "unacked_mutex"),
        ),
    ]
    consume_tasks = [
        Capability("task-consume", ("brpop", "rpop", "lpush", "rpush", "llen", "exists"), queue_keys),
        # PSUBSCRIBE patterns are matched literally against the ACL: the exact topic kombu uses.
        Capability("control-listen", ("psubscribe", "punsubscribe", "subscribe", "unsubscribe"), channels=(f"{ns.fanout}celery.pidbox",)),
        # The worker's own pidbox queue (<node>.celery.pidbox), emptied when it starts.
        Capability("control-queue", ("llen", "del", "exists", "pexpire", "rpop"), ("*.celery.pidbox*",)),
    ]
    read_stream = ("xrange", "xrevrange", "xread", "xlen", "xinfo|stream", "xinfo|groups", "xinfo|consumers")
    return {
        "web": [
            *publish_events,
            Capability("layer-receive", ("subscribe", "unsubscribe"), channels=(f"{ns.layer_prefix}*",)),
            cache,
            Capability("heartbeats-read", ("scan", "hgetall"), (f"{ns.health_prefix}*",)),
            *send_tasks,
            *control,
        ],
        "worker": [*publish_events, *send_tasks, *control, *consume_tasks],
        "events": [
            *publish_events,
            Capability(
                "stream-consume",
                ("xgroup|create", "xgroup|destroy", "xgroup|createconsumer", "xreadgroup", "xack", "xpending", "xclaim", "xautoclaim", *read_stream),
                (stream,),
            ),
            Capability("dead-letters", ("xadd", "xdel", "del", *read_stream), (dead,)),
            # rotate_event_keys re-seals an entry as a new one and deletes the old (transport.replace_entry).
            Capability("stream-rekey", ("xdel",), (stream,)),
            Capability("heartbeats", ("hset", "expire", "hgetall", "scan"), (f"{ns.health_prefix}*",)),
            cache,
            *send_tasks,
            *control,
        ],
        "monitor": [
            Capability("stream-read", read_stream, (stream, dead)),
            Capability("heartbeats-read", ("scan", "hgetall"), (f"{ns.health_prefix}*",)),
            Capability("live-mirror-listen", ("psubscribe", "punsubscribe", "subscribe", "unsubscribe"), channels=(ns.live_pattern,)),
        ],
    }


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def role_rules(role: str, ns: Namespace, selectors: bool = True) -> list[str]:
    """The ACL rules of `role` after `reset` (no user name, no password)."""
    caps = capabilities(ns)[role]
    base = ["resetkeys", "resetchannels", "-@all", *(f"+{c}" for c in CONNECTION_COMMANDS)]
    if selectors:  # Redis 7+: a command is allowed only on the keys/channels of its capability
        return [*base, *(f"({' '.join(cap.rules())})" for cap in caps)]
    commands = _dedupe(c for cap in caps for c in cap.commands)
    keys = _dedupe(k for cap in caps for k in cap.keys)
    channels = _dedupe(c for cap in caps for c in cap.channels)
    return [*base, *(f"+{c}" for c in commands), *(f"~{k}" for k in keys), *(f"&{c}" for c in channels)]


def user_name(role: str) -> str:
    return f"{USER_PREFIX}{role}"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


def credentials_from_url(role: str, url: str) -> Credentials | None:
    """The user and password in a role's URL (redis://user:password@host/db), if it has both."""
    parts = urlsplit(url)
    if parts.username and parts.password:
        return Credentials(unquote(parts.username), unquote(parts.password))
    return None


def acl_user_rules(role: str, creds: Credentials, ns: Namespace, selectors: bool = True) -> list[str]:
    return ["reset", "on", f">{creds.password}", *role_rules(role, ns, selectors)]


def aclfile_lines(users: Mapping[str, Credentials], ns: Namespace, selectors: bool = True) -> list[str]:
    """An aclfile (redis-server --aclfile): the role users, and the default user switched off."""
    lines = [f"user {c.user} {' '.join(acl_user_rules(role, c, ns, selectors))}" for role, c in users.items()]
    return [*lines, "user default off resetkeys resetchannels -@all nopass"]


def setuser_commands(users: Mapping[str, Credentials], ns: Namespace, selectors: bool = True) -> list[str]:
    """ACL SETUSER lines for redis-cli (an operator's own Redis)."""
    return [f"ACL SETUSER {c.user} {' '.join(acl_user_rules(role, c, ns, selectors))}" for role, c in users.items()]


def url_db(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def url_with_credentials(url: str, creds: Credentials) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(creds.user, safe='')}:{quote(creds.password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass
class EmbeddedUsers:
    """The role users of `make run`'s embedded Redis; their passwords are generated once and kept
    (mode 0600) under var/ so restarts and manage.py commands find them."""

    path: Path
    users: dict[str, Credentials] = field(default_factory=dict)

    @classmethod
    def load_or_create(cls, path: Path) -> "EmbeddedUsers":
        import json

        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        users = {role: Credentials(user_name(role), stored.get(role) or secrets.token_hex(24)) for role in ROLES}
        if {role: c.password for role, c in users.items()} != stored:
            write_private(path, json.dumps({role: c.password for role, c in users.items()}, indent=1) + "\n")
        return cls(path, users)

    def urls(self, base_url: str) -> dict[str, str]:
        return {role: url_with_credentials(base_url, c) for role, c in self.users.items()}


EMBEDDED_USERS_FILE = "redis-users.json"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (it holds passwords), made so before the text goes in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)


def embedded_role_url(var_dir: Path, role: str, base_url: str) -> str:
    """`role`'s URL on the embedded Redis at `base_url`: with its user when `make run` made them."""
    import json

    users = var_dir / EMBEDDED_USERS_FILE
    if not users.exists():
        return base_url
    password = json.loads(users.read_text()).get(role)
    return url_with_credentials(base_url, Credentials(user_name(role), password)) if password else base_url
