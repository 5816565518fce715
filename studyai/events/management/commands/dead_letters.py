"""List, replay or purge events that a consumer group gave up on. `list` shows events and errors
decrypted (EVENT_ENCRYPTION_KEYS); replay puts the entry back as it is stored, encrypted."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from studyai.events import crypto
from studyai.events.transport import StreamEntry, get_transport


class Command(BaseCommand):
    help = "dead_letters list | replay [ID ...] | purge [ID ...]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["list", "replay", "purge"])
        parser.add_argument("ids", nargs="*", help="dead-letter entry ids (default: all)")
        parser.add_argument("--json", action="store_true", help="list as JSON lines")

    def handle(self, *args: Any, **options: Any) -> None:
        transport = get_transport()
        entries = transport.dead_letters(count=10_000)
        wanted = set(options["ids"])
        if wanted:
            unknown = wanted - {e.entry_id for e in entries}
            if unknown:
                raise CommandError(f"no dead letter with id {', '.join(sorted(unknown))}")
            entries = [e for e in entries if e.entry_id in wanted]
        action = options["action"]
        if action == "list":
            for entry in entries:
                f = readable(entry)
                if options["json"]:
                    self.stdout.write(json.dumps({"id": entry.entry_id, **f}))
                else:
                    self.stdout.write(f"{entry.entry_id}  group={f.get('group')}  deliveries={f.get('deliveries')}  error={f.get('error')}")
                    self.stdout.write(f"    {f.get('event', '')[:300]}")
            self.stdout.write(f"{len(entries)} dead letter(s)")
        elif action == "replay":
            for entry in entries:
                transport.replay_dead_letter(entry)
            self.stdout.write(f"replayed {len(entries)} dead letter(s)")
        else:
            count = transport.purge_dead_letters([e.entry_id for e in entries] if wanted else None)
            self.stdout.write(f"purged {len(entries) if not wanted else count} dead letter(s)")


def readable(entry: StreamEntry) -> dict[str, str]:
    """The dead letter's fields with its event and error decrypted; an event that does not
    decrypt is shown as stored, with why beside it."""
    fields = {key: value for key, value in entry.fields.items() if key != crypto.DEAD_LETTER_ERROR_ENCRYPTED}
    fields["error"] = crypto.open_dead_letter_error(entry.fields)
    try:
        raw = json.loads(entry.payload)
        fields["event"] = json.dumps(crypto.open_dict(raw), separators=(",", ":"))
    except ValueError as exc:  # not JSON, or an InvalidEvent (a ValueError) from decrypting
        fields["decrypt_error"] = str(exc)
    return fields
