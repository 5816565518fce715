"""Request checks that hold for every endpoint."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse

from studyai import correlation, logs

log = logging.getLogger("studyai.request")


class LogContextMiddleware:
    """Binds the request's correlation id (the client's X-Request-ID when it is a sane one, else a
    new one: studyai/correlation.py) for every log line of the request and the work it starts,
    logs one line per request (method, path with secrets scrubbed, status, duration), and says the
    id in the response's X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        correlation_id = correlation.accept(request.headers.get(correlation.HEADER))
        user = getattr(request, "user", None)
        started = time.perf_counter()
        with logs.bound(correlation_id=correlation_id, user_id=user.pk if user is not None and user.is_authenticated else None):
            response = self.get_response(request)
            user = getattr(request, "user", None)  # DRF's token authentication set it in the view
            log.info(
                "%s %s %s %dms", request.method, request.get_full_path(), response.status_code,
                round((time.perf_counter() - started) * 1000),
                extra={"user_id": user.pk if user is not None and user.is_authenticated else None},
            )
        response[correlation.HEADER] = correlation_id
        return response


class RejectNulMiddleware:
    """A NUL character in the path or query string is a 400: PostgreSQL cannot store or compare
    text containing one, so it would otherwise surface as a 500 wherever it reaches a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = unquote(request.META.get("QUERY_STRING", ""))
        if "\x00" in request.path or "\x00" in query:
            return JsonResponse(
                {"error": "invalid_request", "message": "The URL contains a NUL character (%00)."}, status=400
            )
        return self.get_response(request)
