"""The baseline WebSocket server for bench/ws_connections.py: the least a Channels consumer can do
to push a user's events. No authentication, no database, no validation: the socket says which
user it is (`?user=<id>`), joins user.<id> on the same channel layer as the application, and
forwards each `event.message` as the application's consumer frames it.

    daphne bench.bare_asgi:application
"""
from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyai.settings")

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from studyai.events.groups import user_group  # noqa: E402

SUBPROTOCOL = "studyai"


class BareConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels has no type hints
    group: str

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.group = user_group(int(query["user"][0]))
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in (self.scope.get("subprotocols") or []) else None)
        await self.send(text_data='{"type": "ready"}')  # the client waits for a first frame, as with the app

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def event_message(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "event", "event": message["event"]}))


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/notifications/", BareConsumer.as_asgi())])})
