"""Rate limits whose counters live in the Redis cache, failing open: when Redis cannot be
reached the request is let through (and logged), since a throttle counter must not take
uploads or logins down with it (the work itself is kept durably: studyai/dispatch.py).

- uploads: `FailOpenScopedRateThrottle` with the "uploads" scope (UPLOAD_RATE);
- logins (the API's token endpoint and the admin's login page): `LoginGuard`, failed attempts
  per account and per address (LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS in
  LOGIN_WINDOW_SECONDS), 429 with Retry-After past either.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import ScopedRateThrottle

from studyai.events.transport import REDIS_ERRORS

log = logging.getLogger(__name__)


class FailOpenScopedRateThrottle(ScopedRateThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except REDIS_ERRORS as exc:
            log.warning("rate limit %r not checked, the cache is unreachable (%s)", getattr(view, "throttle_scope", None), exc)
            return True


class LoginGuard:
    """Failed logins counted per account and per address in the cache (shared by every daphne
    process); past a limit, logins from there are refused with 429 and Retry-After until the
    window ends. Only failures count, so a student who logs in often is never refused; a right
    password does not open an account that is refused (that is the point of the limit)."""

    def __init__(self) -> None:
        config = settings.STUDYAI_LOGIN_LIMITS
        self.per_account = config["FAILURES_PER_ACCOUNT"]
        self.per_address = config["FAILURES_PER_ADDRESS"]
        self.window = config["WINDOW_SECONDS"]

    def retry_after(self, request: Any, username: str) -> int | None:
        """Seconds until a login may be tried again, or None when it may be tried now."""
        now = time.time()
        waits = []
        for key, limit in self._keys(request, username):
            count, until = self._read(key)
            if count >= limit and until > now:
                waits.append(math.ceil(until - now))
        return max(waits) if waits else None

    def failed(self, request: Any, username: str) -> None:
        now = time.time()
        for key, _limit in self._keys(request, username):
            count, until = self._read(key)
            if until <= now:
                count, until = 0, now + self.window
            try:
                cache.set(key, (count + 1, until), timeout=math.ceil(until - now) + 1)
            except REDIS_ERRORS as exc:
                log.warning("failed login not counted, the cache is unreachable (%s)", exc)

    def succeeded(self, request: Any, username: str) -> None:
        try:
            cache.delete(self._account_key(username))
        except REDIS_ERRORS:
            pass

    def _keys(self, request: Any, username: str) -> list[tuple[str, int]]:
        address = request.META.get("REMOTE_ADDR", "") or "unknown"
        return [(self._account_key(username), self.per_account), (f"login:address:{address}", self.per_address)]

    @staticmethod
    def _account_key(username: str) -> str:
        digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]  # any text is a safe key
        return f"login:account:{digest}"

    @staticmethod
    def _read(key: str) -> tuple[int, float]:
        try:
            value = cache.get(key)
        except REDIS_ERRORS as exc:
            log.warning("login limit not checked, the cache is unreachable (%s)", exc)
            return 0, 0.0
        return value if isinstance(value, tuple) else (0, 0.0)


def too_many_logins(retry_after: int) -> HttpResponse:
    """The 429 of a refused login, for views outside DRF (the admin's login page)."""
    response = HttpResponse(
        f"Too many failed logins from this account or address: try again in {retry_after} seconds.",
        status=429, content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response


def guarded_admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login view behind the same LoginGuard as the API's token endpoint."""
    from django.contrib import admin

    guard = LoginGuard()
    username = request.POST.get("username", "") if request.method == "POST" else ""
    if request.method == "POST":
        wait = guard.retry_after(request, username)
        if wait is not None:
            return too_many_logins(wait)
    response = admin.site.login(request, extra_context)
    if request.method == "POST":
        if response.status_code == 302 and request.user.is_authenticated:
            guard.succeeded(request, username)
        else:
            guard.failed(request, username)  # the form again, with its error
    return response
