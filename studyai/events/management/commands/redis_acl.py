"""Print the ACL lines of StudyAI's Redis users (one per role) for an operator's own Redis."""
from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studyai import redis_acl


class Command(BaseCommand):
    help = (
        "Print ACL SETUSER lines (or an aclfile) for the web, worker, events and monitor Redis users, "
        "with the users and passwords of REDIS_URL_<ROLE> or placeholders."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=["setuser", "aclfile"], default="setuser")
        parser.add_argument("--role", action="append", choices=redis_acl.ROLES, help="repeatable (default: every role)")
        parser.add_argument("--redis-version", type=int, default=7, help="the server's major version: 7+ gets ACL selectors, 6 their union")
        parser.add_argument("--generate-passwords", action="store_true", help="new random passwords, and the REDIS_URL_<ROLE> lines that use them")
        parser.add_argument("--url", choices=redis_acl.ROLES, help="print only this role's URL (e.g. for redis-cli -u)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["url"]:
            self.stdout.write(settings.REDIS_URLS[options["url"]])
            return
        roles = options["role"] or list(redis_acl.ROLES)
        users: dict[str, redis_acl.Credentials] = {}
        for role in roles:
            url = settings.REDIS_URLS[role]
            found = redis_acl.credentials_from_url(role, url)
            if options["generate_passwords"] or found is None:
                name = found.user if found else redis_acl.user_name(role)
                password = secrets.token_hex(24) if options["generate_passwords"] else f"<{role}-password>"
                found = redis_acl.Credentials(name, password)
            users[role] = found
        names = [c.user for c in users.values()]
        if len(set(names)) != len(names):
            raise CommandError(f"two roles share a Redis user ({', '.join(names)}): give each REDIS_URL_<ROLE> its own user")
        ns = redis_acl.Namespace.from_settings()
        selectors = options["redis_version"] >= 7
        if options["format"] == "aclfile":
            lines = redis_acl.aclfile_lines(users, ns, selectors)
        else:
            lines = redis_acl.setuser_commands(users, ns, selectors)
        for line in lines:
            self.stdout.write(line)
        if options["generate_passwords"]:
            self.stdout.write("")
            for role, creds in users.items():
                url = redis_acl.url_with_credentials(settings.REDIS_URLS[role], creds)
                self.stdout.write(f"# REDIS_URL_{role.upper()}={url}")
