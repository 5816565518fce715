"""WebSocket authentication: a DRF token, else the session cookie.

The token travels in the `Sec-WebSocket-Protocol` header as the subprotocol `token.<key>` (beside
`studyai`, which the server selects), because query strings end up in access logs and proxies'
logs. `?token=<key>` is accepted too, for clients that cannot set subprotocols.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

TOKEN_SUBPROTOCOL_PREFIX = "token."
SUBPROTOCOL = "studyai"


def token_from_scope(scope: dict[str, Any]) -> str | None:
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return protocol[len(TOKEN_SUBPROTOCOL_PREFIX):]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


@database_sync_to_async
def user_for_token(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    try:
        token = Token.objects.select_related("user").get(key=key)
    except (Token.DoesNotExist, ValueError):
        return None
    return token.user if token.user.is_active else None


class TokenAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from a token when one is given; a bad token means no user at all
    (never falls back to the session), so the consumer refuses the handshake."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        key = token_from_scope(scope)
        if key is not None:
            user = await user_for_token(key)
            scope = {**scope, "user": user or AnonymousUser(), "auth_error": None if user else "invalid token"}
        elif not has_origin(scope):
            # Cookies are what a cross-site page would ride on, and browsers always send Origin:
            # a cookie without an Origin is not a browser we can check, so it does not log in.
            scope = {**scope, "user": AnonymousUser(), "auth_error": "session login needs an Origin header"}
        return await super().__call__(scope, receive, send)


def has_origin(scope: dict[str, Any]) -> bool:
    return any(name == b"origin" for name, _ in scope.get("headers", []))


class OriginCheck(OriginValidator):
    """Refuses a handshake whose Origin is not one of ours. A missing Origin (a non-browser
    client) passes here; TokenAuthMiddleware then accepts it only with a token."""

    def __init__(self, application: Any) -> None:
        allowed = [*settings.ALLOWED_HOSTS, *settings.CSRF_TRUSTED_ORIGINS]
        super().__init__(application, allowed)

    def valid_origin(self, parsed_origin: Any) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def websocket_stack(inner: Any) -> Any:
    """Origin check, then session auth (sets scope["user"]), then the token, which replaces it."""
    return OriginCheck(AuthMiddlewareStack(TokenAuthMiddleware(inner)))
