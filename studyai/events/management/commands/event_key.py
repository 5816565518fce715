"""Print a new key for EVENT_ENCRYPTION_KEYS (a Fernet key: 32 random bytes, url-safe base64)."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from studyai.events.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new event encryption key; put it first in EVENT_ENCRYPTION_KEYS to rotate."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(generate_key())
