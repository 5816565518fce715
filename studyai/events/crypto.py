"""Encryption of events' sensitive fields on their way through Redis.

With EVENT_ENCRYPTION_KEYS set (comma-separated Fernet keys: 32 random bytes, url-safe base64;
`manage.py event_key` prints a new one), every data field that its schema lists in `SENSITIVE`
(studyai/events/types.py: filenames, titles, messages, error text) leaves the process as a Fernet
token (AES-128-CBC with HMAC-SHA256: authenticated, so an altered token is refused, not
misread): in the stream, the dead-letter stream (with the dead letter's error text), the pub/sub
mirror and the live channel-layer push. The first key encrypts, every key decrypts: to rotate,
put a new key first, run `manage.py rotate_event_keys` until it reports nothing left under an
old key, then drop the old key.

On the wire an encrypted event is the usual envelope whose sensitive data values are tokens,
plus `"encrypted": [the names of those fields]`, so nothing is guessed from a value's shape. A
token's plaintext is `{"at": [event_id, user_id, event_type, field], "v": value}`: it opens only
in the place it was made, so a token copied into another user's event is refused, not shown.

What stays clear: the envelope (ids, type, version, time, user), the other data fields (ids,
counts, codes, statuses) and the database. Outbox rows and notifications hold clear text: the
database is trusted (it holds the documents and their filenames anyway); Redis, shared by every
process and tool, is what this protects.

Encrypt after validating (`seal` takes a validated Event) and validate after decrypting
(`open_event` decrypts, then Event.from_dict checks the schema).
"""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .types import Event, InvalidEvent

SETTING = "EVENT_ENCRYPTION_KEYS"
ENCRYPTED = "encrypted"  # the envelope key listing the data fields that are tokens
DEAD_LETTER_ERROR_ENCRYPTED = "error_encrypted"  # dead-letter field: "1" when `error` is a token
_NOTE_CONTEXT = "dead_letter.error"


class UndecryptableEvent(InvalidEvent):
    """An encrypted field no configured key opens (another key, an altered or misplaced token).
    An InvalidEvent, so a consumer dead-letters it at once: retrying cannot help."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"data.{field}", reason)
        self.data_field = field

    def __str__(self) -> str:
        return f"cannot decrypt field {self.data_field!r}: {self.message}"


class KeyRing:
    """The configured keys, newest first."""

    def __init__(self, keys: Sequence[Fernet]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._primary = keys[0]
        self._all = MultiFernet(list(keys))

    def encrypt(self, plaintext: bytes) -> str:
        return self._primary.encrypt(plaintext).decode("ascii")

    def decrypt(self, token: Any) -> bytes:
        """Raises InvalidToken when no key opens it (or it is not a token at all)."""
        return self._all.decrypt(_token_bytes(token))

    def is_current(self, token: Any) -> bool:
        """True when the newest key opens the token: nothing to re-encrypt."""
        try:
            self._primary.decrypt(_token_bytes(token))
        except InvalidToken:
            return False
        return True

    def rotate(self, token: Any) -> str:
        """The token re-encrypted under the newest key; raises InvalidToken if no key opens it."""
        return self._all.rotate(_token_bytes(token)).decode("ascii")


def _token_bytes(token: Any) -> bytes:
    if not isinstance(token, str):
        raise InvalidToken
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken from None


# ---- keys from settings ------------------------------------------------------------------------


def parse_keys(value: str | Sequence[str] | None) -> KeyRing | None:
    """EVENT_ENCRYPTION_KEYS (a comma-separated string or a list) as a KeyRing; None when unset.
    A malformed key raises ImproperlyConfigured naming the setting and the key's position (never
    the key itself: error messages end up in logs)."""
    if value is None:
        return None
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        raise ImproperlyConfigured(f"{SETTING} must be a comma-separated string of keys or a list of strings")
    keys = [item.strip() for item in items if item.strip()]
    if not keys:
        return None
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{SETTING}: key {position} of {len(keys)} is not a Fernet key (32 random bytes, url-safe "
                "base64-encoded, 44 characters; `manage.py event_key` prints one)"
            ) from None
    return KeyRing(fernets)


_cache_lock = threading.Lock()
_cache: tuple[object, KeyRing | None] | None = None


def keyring() -> KeyRing | None:
    """The ring for the current setting; rebuilt when the setting changes (tests override it)."""
    global _cache
    value = getattr(settings, SETTING, None)
    cached = _cache
    if cached is not None and cached[0] == value:
        return cached[1]
    with _cache_lock:
        ring = parse_keys(value)
        _cache = (value, ring)
        return ring


def check_settings() -> None:
    """Called at startup (EventsConfig.ready): a malformed key stops the process at boot, with
    the setting named, instead of at the first event."""
    keyring()


# ---- events ------------------------------------------------------------------------------------


def _context(envelope: dict[str, Any], field: str) -> list[Any]:
    return [envelope.get("event_id"), envelope.get("user_id"), envelope.get("event_type"), field]


def seal(event: Event, ring: KeyRing | None = None) -> dict[str, Any]:
    """The event as the dict that goes on the wire: its sensitive fields encrypted when keys are
    set, exactly `event.to_dict()` when not."""
    raw = event.to_dict()
    ring = ring or keyring()
    fields = sorted(type(event.data).SENSITIVE)
    if ring is None or not fields:
        return raw
    data = raw["data"]
    for name in fields:
        plaintext = json.dumps({"at": _context(raw, name), "v": data[name]}, separators=(",", ":"))
        data[name] = ring.encrypt(plaintext.encode("utf-8"))
    raw[ENCRYPTED] = fields
    return raw


def seal_json(event: Event, ring: KeyRing | None = None) -> str:
    """The stream entry's / pub/sub message's payload; `event.to_json()` when nothing is encrypted."""
    return sealed_json(event, seal(event, ring))


def sealed_json(event: Event, sealed: dict[str, Any]) -> str:
    """`sealed` (what `seal(event)` made) as the stream's payload, so one encryption serves the
    stream, the pub/sub mirror and the live push."""
    return json.dumps(sealed, separators=(",", ":")) if ENCRYPTED in sealed else event.to_json()


def open_dict(raw: Any, ring: KeyRing | None = None) -> Any:
    """A decoded wire envelope with its encrypted fields decrypted (not yet validated). A clear
    envelope is returned as it is. Raises UndecryptableEvent naming the field."""
    if not isinstance(raw, dict) or ENCRYPTED not in raw:
        return raw
    fields = raw[ENCRYPTED]
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise InvalidEvent(ENCRYPTED, "must be a non-empty list of field names")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise InvalidEvent("data", "must be a JSON object")
    ring = ring or keyring()
    if ring is None:
        raise UndecryptableEvent(fields[0], f"{SETTING} is not set")
    clear = dict(data)
    for name in fields:
        if name not in data:
            raise UndecryptableEvent(name, "the field is missing")
        try:
            sealed = json.loads(ring.decrypt(data[name]))
        except InvalidToken:
            raise UndecryptableEvent(name, "no key matches (encrypted under another key, or altered)") from None
        except ValueError:
            raise UndecryptableEvent(name, "the decrypted value is not JSON") from None
        if not isinstance(sealed, dict) or sealed.get("at") != _context(raw, name) or "v" not in sealed:
            raise UndecryptableEvent(name, "the token belongs to another event or field")
        clear[name] = sealed["v"]
    opened = {key: value for key, value in raw.items() if key != ENCRYPTED}
    opened["data"] = clear
    return opened


def open_event(payload: str | bytes | dict[str, Any], ring: KeyRing | None = None) -> Event:
    """A stream entry's payload (or a live message's envelope) as a validated Event: decrypt,
    then validate. Raises InvalidEvent (UndecryptableEvent when a field does not decrypt)."""
    if isinstance(payload, dict):
        return Event.from_dict(open_dict(payload, ring))
    try:
        raw = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent("envelope", f"not JSON: {exc}") from None
    return Event.from_dict(open_dict(raw, ring))


def reseal(payload: str, ring: KeyRing) -> str | None:
    """The payload with every encrypted field under the newest key, and a clear event's
    sensitive fields encrypted; None when there is nothing to change (already current, or not
    an event this code can read: left as it is for a consumer to dead-letter). Raises
    UndecryptableEvent when a field is under no configured key."""
    try:
        raw = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict):
        return None
    if ENCRYPTED not in raw:
        try:
            event = Event.from_dict(raw)
        except InvalidEvent:
            return None
        return seal_json(event, ring) if type(event.data).SENSITIVE else None
    open_dict(raw, ring)  # every field must open, in its own place, before any is rewritten
    data = dict(raw["data"])
    changed = False
    for name in raw[ENCRYPTED]:
        if not ring.is_current(data[name]):
            data[name] = ring.rotate(data[name])
            changed = True
    return json.dumps({**raw, "data": data}, separators=(",", ":")) if changed else None


# ---- dead letters' error text ------------------------------------------------------------------


def seal_dead_letter_error(error: str, ring: KeyRing | None = None) -> dict[str, str]:
    """The dead letter's `error` fields: a handler's exception text may quote user data (a
    database error quotes the row), so it is encrypted like a sensitive field."""
    ring = ring or keyring()
    if ring is None:
        return {"error": error}
    plaintext = json.dumps({"at": [_NOTE_CONTEXT], "v": error}, separators=(",", ":"))
    return {"error": ring.encrypt(plaintext.encode("utf-8")), DEAD_LETTER_ERROR_ENCRYPTED: "1"}


def open_dead_letter_error(fields: dict[str, str], ring: KeyRing | None = None) -> str:
    """A dead letter's error text, decrypted; a note in its place when it cannot be."""
    error = fields.get("error", "")
    if fields.get(DEAD_LETTER_ERROR_ENCRYPTED) != "1":
        return error
    ring = ring or keyring()
    if ring is None:
        return f"(encrypted; {SETTING} is not set)"
    try:
        sealed = json.loads(ring.decrypt(error))
    except (InvalidToken, ValueError):
        return "(encrypted under no configured key)"
    return str(sealed.get("v", "")) if isinstance(sealed, dict) else ""


def reseal_dead_letter_error(fields: dict[str, str], ring: KeyRing) -> dict[str, str] | None:
    """The error fields under the newest key (encrypted if they were clear); None when current.
    Raises InvalidToken when no configured key opens them."""
    if fields.get(DEAD_LETTER_ERROR_ENCRYPTED) != "1":
        return seal_dead_letter_error(fields.get("error", ""), ring)
    if ring.is_current(fields.get("error")):
        return None
    return {"error": ring.rotate(fields.get("error")), DEAD_LETTER_ERROR_ENCRYPTED: "1"}


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
