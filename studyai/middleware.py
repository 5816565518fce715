"""Request checks that hold for every endpoint."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse


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
