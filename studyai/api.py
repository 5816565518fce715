"""Cross-cutting API pieces: the JSON error format, the field for ids in requests, the token endpoint."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .throttling import LoginGuard

# The largest id a client may name: BigAutoField's range (the databases refuse larger numbers,
# SQLite with an OverflowError, PostgreSQL with an out-of-range error).
MAX_ID = 2**63 - 1


class ObjectIdField(serializers.IntegerField):
    """An object's id in a request: a positive integer the database can hold."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is JSON: {"error": <code>, "message": <a sentence>, "detail": <DRF detail>}."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "invalid"
    else:
        code = "error"
    response.data = {"error": code, "message": _message(detail), "detail": detail}
    return response


def _message(detail: Any) -> str:
    """Flatten DRF's detail into one sentence that names the field, e.g. 'file: This field is required.'"""
    if isinstance(detail, dict):
        if "detail" in detail and len(detail) == 1:
            return _message(detail["detail"])
        key, value = next(iter(detail.items()))
        inner = _message(value)
        return inner if key == "non_field_errors" else f"{key}: {inner}"
    if isinstance(detail, list) and detail:
        return _message(detail[0])
    return str(detail)


class TokenView(ObtainAuthToken):
    """POST username + password → {"token": …}. Use it as `Authorization: Token <token>`."""

    throttle_classes: list[Any] = []

    @extend_schema(
        request=inline_serializer("TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}),
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        guard = LoginGuard()
        username = str(request.data.get("username", "")) if hasattr(request.data, "get") else ""
        wait = guard.retry_after(request, username)
        if wait is not None:
            raise exceptions.Throttled(wait, f"Too many failed logins from this account or address: try again in {wait} seconds.")
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # Wrong credentials are a 401 with a clear message rather than DRF's generic 400.
            if "non_field_errors" in serializer.errors:
                guard.failed(request, username)
                return Response(
                    {"error": "authentication_failed", "message": "Unable to log in with the given username and password."},
                    status=status.HTTP_401_UNAUTHORIZED,
                )
            raise exceptions.ValidationError(serializer.errors)
        guard.succeeded(request, username)
        from rest_framework.authtoken.models import Token

        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
