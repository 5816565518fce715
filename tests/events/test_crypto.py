"""Encrypted sensitive event fields (EVENT_ENCRYPTION_KEYS) against real Redis: nothing a user
typed or uploaded is in clear in the stream, the pub/sub mirror or the dead letters; consumers
and the commands read it decrypted; keys rotate; an event no key opens is dead-lettered with the
reason while the consumer carries on."""
from __future__ import annotations

import io
import json
import os
import subprocess
import time
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from studyai import processes
from studyai.events import crypto
from studyai.events.consumer import EventConsumer
from studyai.events.publisher import EventPublisher
from studyai.events.transport import EventTransport
from studyai.events.types import SCHEMAS, Event, EventType

from .samples import VALID_DATA

pytestmark = pytest.mark.django_db(transaction=True)

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_C = Fernet.generate_key().decode()
STREAM = "study_ai_events"
DEAD = "study_ai_events.dead_letters"


def secret_data(event_type: EventType) -> dict[str, Any]:
    """VALID_DATA with every sensitive field holding a marker that must never show in Redis."""
    schema = SCHEMAS[(event_type, max(v for t, v in SCHEMAS if t == event_type))]
    return {**VALID_DATA[event_type], **{name: f"SECRET-{event_type}-{name}" for name in schema.SENSITIVE}}


def raw_entries(client: redis.Redis, stream: str = STREAM) -> list[dict[str, str]]:
    return [fields for _id, fields in client.xrange(stream)]


def new_consumer(group: str, **options: Any) -> EventConsumer:
    options = {"block_ms": 50, "retry_base_ms": 20, "max_deliveries": 2, **options}
    return EventConsumer(group=group, transport=EventTransport(), **options)


def drain(consumer: EventConsumer, until: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "timed out waiting for the consumer"
        consumer.run_once()


def collect(group: str) -> tuple[EventConsumer, list[Event]]:
    """A consumer that records what it handles, run over everything the stream holds."""
    seen: list[Event] = []
    consumer = new_consumer(group)
    consumer.subscribe_to_all_events(seen.append)
    return consumer, seen


# ---- the schema ---------------------------------------------------------------------------------


def test_every_text_field_of_every_schema_is_marked_one_way_or_the_other() -> None:
    for (event_type, version), schema in SCHEMAS.items():
        text_fields = {
            name for name, info in schema.model_fields.items() if isinstance(info.annotation, type) and issubclass(info.annotation, str)
        }
        undecided = text_fields - schema.SENSITIVE - schema.NOT_SENSITIVE
        assert not undecided, f"{event_type} v{version}: say whether {sorted(undecided)} are sensitive"
        assert not schema.SENSITIVE & schema.NOT_SENSITIVE
    assert SCHEMAS[(EventType.DOCUMENT_UPLOADED, 1)].SENSITIVE == {"filename"}
    assert SCHEMAS[(EventType.TASK_STATUS_UPDATE, 1)].SENSITIVE == {"message"}
    assert SCHEMAS[(EventType.USER_NOTIFICATION, 1)].SENSITIVE == {"title", "message"}


# ---- keys ---------------------------------------------------------------------------------------


def test_malformed_keys_are_refused_naming_the_setting_but_not_the_key() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"EVENT_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key") as caught:
        crypto.parse_keys(f"{KEY_A}, not-a-key-at-all")
    assert "not-a-key-at-all" not in str(caught.value)
    with pytest.raises(ImproperlyConfigured, match="EVENT_ENCRYPTION_KEYS"):
        crypto.parse_keys([KEY_A, 5])  # type: ignore[list-item]
    assert crypto.parse_keys("") is None and crypto.parse_keys(" , ") is None
    assert crypto.parse_keys([KEY_A, KEY_B]) is not None


def test_a_malformed_key_stops_a_process_at_boot(live_env: dict[str, str]) -> None:
    result = subprocess.run(
        processes.manage("check"), env={**os.environ, **live_env, "EVENT_ENCRYPTION_KEYS": f"{KEY_A},{KEY_B[:-4]}"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "EVENT_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key" in result.stderr
    assert KEY_B[:-4] not in result.stderr + result.stdout


def test_event_key_command_prints_a_usable_key() -> None:
    out = io.StringIO()
    call_command("event_key", stdout=out)
    assert crypto.parse_keys(out.getvalue().strip()) is not None


# ---- on the wire --------------------------------------------------------------------------------


def test_with_keys_nothing_sensitive_is_in_clear_and_consumers_read_it_all(redis_client: redis.Redis, settings: Any) -> None:
    settings.EVENT_ENCRYPTION_KEYS = KEY_A
    mirror = redis_client.pubsub()
    mirror.psubscribe(f"{STREAM}:*")
    mirror.get_message(timeout=1)  # the psubscribe confirmation
    published = [EventPublisher().emit(t, 7, secret_data(t)) for t in EventType]

    raw = raw_entries(redis_client)
    assert len(raw) == len(EventType)
    assert "SECRET-" not in json.dumps(raw), "a sensitive field is in clear in the stream"
    mirrored = []
    deadline = time.monotonic() + 5
    while len(mirrored) < len(EventType) and time.monotonic() < deadline:
        message = mirror.get_message(timeout=0.5)
        if message and message["type"] == "pmessage":
            mirrored.append(message["data"])
    mirror.close()
    assert len(mirrored) == len(EventType)
    assert "SECRET-" not in json.dumps(mirrored), "a sensitive field is in clear on pub/sub"
    uploaded = json.loads(raw[0]["event"])
    assert uploaded["encrypted"] == ["filename"]
    assert uploaded["data"]["document_id"] == 4 and uploaded["data"]["content_type"] == "application/pdf"  # the rest stays clear

    consumer, seen = collect("readers")
    drain(consumer, lambda: len(seen) == len(EventType))
    assert [e.to_dict() for e in seen] == [e.to_dict() for e in published]
    assert consumer.health.dead_lettered == 0


def test_without_keys_events_travel_exactly_as_before(redis_client: redis.Redis, settings: Any) -> None:
    settings.EVENT_ENCRYPTION_KEYS = ""
    event = EventPublisher().emit(EventType.DOCUMENT_UPLOADED, 7, secret_data(EventType.DOCUMENT_UPLOADED))
    [fields] = raw_entries(redis_client)
    assert fields["event"] == event.to_json()
    assert "encrypted" not in json.loads(fields["event"])


def test_a_dead_letter_keeps_its_event_and_error_encrypted_and_the_command_shows_them(redis_client: redis.Redis, settings: Any) -> None:
    settings.EVENT_ENCRYPTION_KEYS = KEY_A

    def fails(event: Event) -> None:
        raise ValueError(f"duplicate key: filename={event.data.filename}")  # type: ignore[attr-defined]

    consumer = new_consumer("fails", max_deliveries=1)
    consumer.subscribe(fails, {EventType.DOCUMENT_UPLOADED})
    EventPublisher().emit(EventType.DOCUMENT_UPLOADED, 7, secret_data(EventType.DOCUMENT_UPLOADED))
    drain(consumer, lambda: consumer.health.dead_lettered == 1)
    [dead] = raw_entries(redis_client, DEAD)
    assert "SECRET-" not in json.dumps(dead)
    assert dead["error_encrypted"] == "1"

    out = io.StringIO()
    call_command("dead_letters", "list", "--json", stdout=out)
    listed = json.loads(out.getvalue().splitlines()[0])
    assert listed["error"] == "ValueError: duplicate key: filename=SECRET-document.uploaded-filename"
    assert json.loads(listed["event"])["data"]["filename"] == "SECRET-document.uploaded-filename"
    out = io.StringIO()
    call_command("dead_letters", "list", stdout=out)
    assert "error=ValueError: duplicate key: filename=SECRET-document.uploaded-filename" in out.getvalue()

    # Replayed, it is still encrypted on the stream, and opens for the group it failed in.
    call_command("dead_letters", "replay", stdout=io.StringIO())
    replayed = raw_entries(redis_client)[-1]
    assert replayed["replay_for"] == "fails" and "SECRET-" not in replayed["event"]
    seen: list[Event] = []
    again = new_consumer("fails")
    again.subscribe(seen.append, {EventType.DOCUMENT_UPLOADED})
    drain(again, lambda: bool(seen))
    assert seen[0].data.filename == "SECRET-document.uploaded-filename"  # type: ignore[attr-defined]


# ---- events that do not decrypt ----------------------------------------------------------------


def test_an_event_no_key_opens_is_dead_lettered_with_the_reason_and_the_consumer_goes_on(
    redis_client: redis.Redis, settings: Any
) -> None:
    settings.EVENT_ENCRYPTION_KEYS = KEY_A
    publisher = EventPublisher()
    under_a = publisher.publish_user_notification(7, "old key title", "old key message")
    # Altered in Redis: one character of the title's token changed.
    tampered = json.loads(raw_entries(redis_client)[0]["event"])
    token = tampered["data"]["title"]
    tampered["data"]["title"] = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    redis_client.xadd(STREAM, {"event": json.dumps(tampered), "type": "user.notification", "user_id": "7"})
    # A token lifted from user 7's event into an event for user 8.
    moved = json.loads(raw_entries(redis_client)[0]["event"])
    moved["user_id"] = 8
    redis_client.xadd(STREAM, {"event": json.dumps(moved), "type": "user.notification", "user_id": "8"})

    settings.EVENT_ENCRYPTION_KEYS = KEY_C  # the consumer knows only another key
    handled: list[Event] = []
    consumer = new_consumer("carries-on")
    consumer.subscribe_to_all_events(handled.append)
    consumer.start_in_background()
    try:
        publisher.publish_user_notification(7, "new key title", "new key message")
        deadline = time.monotonic() + 15
        while (consumer.health.dead_lettered < 3 or not handled) and time.monotonic() < deadline:
            time.sleep(0.05)
        publisher.publish_user_notification(7, "after the failures", "still consuming")
        while len(handled) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop()
    assert [e.data.title for e in handled] == ["new key title", "after the failures"]  # type: ignore[attr-defined]
    assert consumer.health.dead_lettered == 3
    dead = raw_entries(redis_client, DEAD)
    errors = [crypto.open_dead_letter_error(fields) for fields in dead]
    assert errors == [
        "cannot decrypt field 'message': no key matches (encrypted under another key, or altered)",
        "cannot decrypt field 'message': no key matches (encrypted under another key, or altered)",
        "cannot decrypt field 'message': no key matches (encrypted under another key, or altered)",
    ]
    assert [json.loads(d["event"])["event_id"] for d in dead][0] == str(under_a.event_id)

    # With the right key the tampered token and the moved one are still refused, each for its reason.
    settings.EVENT_ENCRYPTION_KEYS = KEY_A
    with pytest.raises(crypto.UndecryptableEvent, match="cannot decrypt field 'title': no key matches"):
        crypto.open_event(json.dumps(tampered))
    with pytest.raises(crypto.UndecryptableEvent, match="cannot decrypt field 'message': the token belongs to another event"):
        crypto.open_event(json.dumps(moved))
    settings.EVENT_ENCRYPTION_KEYS = ""
    with pytest.raises(crypto.UndecryptableEvent, match="cannot decrypt field 'message': EVENT_ENCRYPTION_KEYS is not set"):
        crypto.open_event(dead[0]["event"])


# ---- rotation ----------------------------------------------------------------------------------


def test_rotation_keeps_old_events_readable_and_the_command_moves_them_to_the_new_key(
    redis_client: redis.Redis, settings: Any
) -> None:
    publisher = EventPublisher()
    settings.EVENT_ENCRYPTION_KEYS = ""
    written_clear = publisher.publish_user_notification(7, "written before keys were set", "in clear")
    settings.EVENT_ENCRYPTION_KEYS = KEY_A
    under_a = [publisher.publish_user_notification(7, f"title {i}", f"message {i}") for i in range(3)]
    service, handled = collect("service")
    drain(service, lambda: len(handled) == 4)
    failing = new_consumer("failing", max_deliveries=1)  # every event becomes a dead letter
    failing.subscribe_to_all_events(lambda e: (_ for _ in ()).throw(RuntimeError(f"boom on {e.data.title}")))  # type: ignore[attr-defined]
    drain(failing, lambda: failing.health.dead_lettered == 4)

    # The new key first, the old one kept: everything still reads, old and new.
    settings.EVENT_ENCRYPTION_KEYS = f"{KEY_B},{KEY_A}"
    under_b = publisher.publish_user_notification(7, "under B", "new")
    drain(service, lambda: len(handled) == 5)
    drain(failing, lambda: failing.health.dead_lettered == 5)
    reader, read = collect("reader")
    drain(reader, lambda: len(read) == 5)
    assert [e.data.title for e in read] == ["written before keys were set", "title 0", "title 1", "title 2", "under B"]  # type: ignore[attr-defined]

    # A group that read everything but has not acknowledged the first entry yet.
    transport = EventTransport()
    transport.ensure_group("straggler", "0")
    [held] = transport.read_group("straggler", "s1", count=1, block_ms=10)
    transport.ack("straggler", *[e.entry_id for e in transport.read_group("straggler", "s1", count=100, block_ms=10)])

    before = raw_entries(redis_client)
    out = io.StringIO()
    call_command("rotate_event_keys", "--dry-run", stdout=out)
    assert f"{STREAM}: 3 re-encrypted, 1 current, 1 left for later, 0 under no configured key" in out.getvalue()
    assert raw_entries(redis_client) == before, "a dry run changes nothing"

    out = io.StringIO()
    call_command("rotate_event_keys", stdout=out)
    # The clear event is held by the straggler: left; the three under A are replaced; B's is current.
    assert f"{STREAM}: 3 re-encrypted, 1 current, 1 left for later, 0 under no configured key" in out.getvalue()
    assert f"{DEAD}: 4 re-encrypted, 1 current, 0 left for later, 0 under no configured key" in out.getvalue()
    assert "keep those keys" in out.getvalue()
    assert len(raw_entries(redis_client)) == 5, "each original was replaced, not copied beside it"

    # The groups that handled the originals acknowledge the copies without handling them again.
    for _ in range(5):
        service.run_once()
    assert len(handled) == 5
    assert transport.pending("service", 0, 10) == []

    # Once the straggler acknowledges, a second run finishes the job.
    transport.ack("straggler", held.entry_id)
    out = io.StringIO()
    call_command("rotate_event_keys", stdout=out)
    assert f"{STREAM}: 1 re-encrypted, 4 current, 0 left for later, 0 under no configured key" in out.getvalue()
    assert f"{DEAD}: 0 re-encrypted, 5 current" in out.getvalue()
    assert "keep those keys" not in out.getvalue()
    everything = json.dumps(raw_entries(redis_client) + raw_entries(redis_client, DEAD))
    assert "written before keys were set" not in everything and "boom on" not in everything

    # Key B alone: a group created now reads every retained event, and every dead letter shows.
    settings.EVENT_ENCRYPTION_KEYS = KEY_B
    newcomer, fresh = collect("created-after-rotation")
    drain(newcomer, lambda: len(fresh) == 5)
    assert newcomer.health.dead_lettered == 0
    expected = [written_clear, *under_a, under_b]
    assert sorted(json.dumps(e.to_dict()) for e in fresh) == sorted(json.dumps(e.to_dict()) for e in expected)
    out = io.StringIO()
    call_command("dead_letters", "list", "--json", stdout=out)
    listed = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert sorted(d["error"] for d in listed) == sorted(f"RuntimeError: boom on {e.data.title}" for e in expected)  # type: ignore[attr-defined]
    assert all("decrypt_error" not in d for d in listed)


# ---- the monitor -------------------------------------------------------------------------------


def test_monitor_events_prints_decrypted_events(redis_client: redis.Redis, live_env: dict[str, str], settings: Any) -> None:
    settings.EVENT_ENCRYPTION_KEYS = KEY_A
    monitor = subprocess.Popen(
        processes.manage("monitor_events", "--user", "5"),
        env={**os.environ, **live_env, "EVENT_ENCRYPTION_KEYS": KEY_A},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert monitor.stdout is not None
        deadline = time.monotonic() + 30
        while "monitoring" not in monitor.stdout.readline() and time.monotonic() < deadline:
            pass  # its first line says it reads the stream from now on
        EventPublisher().publish_document_uploaded(5, 4, "SECRET-thesis.pdf", 10, "application/pdf")
        time.sleep(2)
    finally:
        monitor.terminate()
        output, _ = monitor.communicate(timeout=15)
    printed = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [e["data"]["filename"] for e in printed] == ["SECRET-thesis.pdf"]
    assert "SECRET-" not in json.dumps(raw_entries(redis_client))
