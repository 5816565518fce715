"""Rate limits whose counters live in the Redis cache, failing open: when Redis cannot be
reached the request is let through (and logged), since a throttle counter must not take
uploads down with it while the work itself is kept durably (studyai/dispatch.py)."""
from __future__ import annotations

import logging
from typing import Any

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
