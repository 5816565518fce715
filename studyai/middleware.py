"""Request checks that hold for every endpoint."""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse

from studyai import logs

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class LogContextMiddleware:
    """Binds the request's correlation id (the client's X-Request-ID when it is a sane one, else a
    new one) for every log line of the request, and says it in the response's X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        correlation_id = given if _REQUEST_ID.match(given) else f"req-{uuid.uuid4().hex}"
        user = getattr(request, "user", None)
        with logs.bound(correlation_id=correlation_id, user_id=user.pk if user is not None and user.is_authenticated else None):
            response = self.get_response(request)
        response["X-Request-ID"] = correlation_id
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
