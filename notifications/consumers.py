"""The WebSocket feed on /ws/notifications/.

Server frames:
  {"type": "event", "event": {envelope}}                live events (progress included)
  {"type": "notification", "notification": {...}}       stored notifications, in id order
  {"type": "unread_count", "count": N}                  whenever it changes
  {"type": "resumed", "last_id": N}                     after a resume's replay
  {"type": "pong"}, {"type": "error", "error": code, "message": text}
Client frames: {"type": "resume", "after": N}, {"type": "mark_read", "id": N}, {"type": "ping"}.
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from studyai.api import MAX_ID
from studyai.events.groups import user_group
from studyai.events import crypto
from studyai.events.transport import LIVE_MESSAGE_TYPE
from studyai.events.types import EventType, InvalidEvent, is_progress, is_terminal, job_key

from . import feed
from .auth import SUBPROTOCOL
from .models import Notification
from .serializers import NotificationSerializer

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 4096
FINISHED_JOBS_REMEMBERED = 1000


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _int_field(frame: dict[str, Any], name: str) -> int:
    value = frame.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
        raise FrameError("invalid_field", f"'{name}' must be an integer from 0 to {MAX_ID}")
    return value


class NotificationConsumer(AsyncWebsocketConsumer):
    user_id: int
    last_sent_id: int | None  # None until the client resumed: no replay before that

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)  # before accept: the handshake is refused (HTTP 403)
            return
        self.user_id = int(user.pk)
        self.group = user_group(self.user_id)
        self.last_sent_id = None
        self.finished_jobs: OrderedDict[str, None] = OrderedDict()
        # Join first, then replay: a notification committed during the replay wakes us and is
        # read after it, so there is no gap.
        await self.channel_layer.group_add(self.group, self.channel_name)
        subprotocols = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in subprotocols else None)
        after = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("after")
        if after:
            try:
                await self.resume(_int_field({"after": int(after[0])}, "after"))
            except (ValueError, FrameError):
                await self.send_error("invalid_field", f"'after' must be an integer from 0 to {MAX_ID}")
        else:
            # Live only from here on; a client resumes to get what it missed.
            self.last_sent_id = await database_sync_to_async(feed.latest_id)(self.user_id)
        await self.send_unread_count()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # ---- client frames ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = self.parse(text_data, bytes_data)
            kind = frame.get("type")
            if kind == "ping":
                await self.send_json({"type": "pong"})
                await self.send_new_notifications()  # also a cheap catch-up on a dropped push
            elif kind == "resume":
                await self.resume(_int_field(frame, "after"))
            elif kind == "mark_read":
                await self.mark_read(_int_field(frame, "id"))
            elif isinstance(kind, str):
                raise FrameError("unknown_type", f"unknown frame type {kind[:40]!r}; expected resume, mark_read or ping")
            else:
                raise FrameError("invalid_field", "'type' must be a string")
        except FrameError as exc:
            await self.send_error(exc.code, exc.message)

    def parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if bytes_data is not None:
            raise FrameError("binary_frame", "binary frames are not accepted; send JSON text")
        if text_data is None:
            raise FrameError("empty_frame", "empty frame")
        if len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            raise FrameError("frame_too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
        try:
            frame = json.loads(text_data)
        except ValueError:
            raise FrameError("invalid_json", "frame is not valid JSON") from None
        if not isinstance(frame, dict):
            raise FrameError("invalid_frame", "frame must be a JSON object")
        return frame

    async def resume(self, after: int) -> None:
        self.last_sent_id = after
        await self.send_new_notifications()
        await self.send_json({"type": "resumed", "last_id": self.last_sent_id})

    async def mark_read(self, notification_id: int) -> None:
        changed = await database_sync_to_async(self._mark_read)(notification_id)
        if changed is None:
            raise FrameError("not_found", f"no notification {notification_id}")
        if changed:
            await database_sync_to_async(feed.unread_changed)(self.user_id)

    def _mark_read(self, notification_id: int) -> int | None:
        mine = Notification.objects.filter(user_id=self.user_id, pk=notification_id)
        if not mine.exists():
            return None  # another user's id is "not found" too: nothing leaks
        return feed.mark_read(mine)

    # ---- channel-layer messages -------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Live events touch no database: skip Channels' close-old-connections hop to the sync
        # thread, which queues behind every other socket's database work in a fan-out.
        if message.get("type") == LIVE_MESSAGE_TYPE:
            await self.event_message(message)
        else:
            await super().dispatch(message)

    async def event_message(self, message: dict[str, Any]) -> None:
        """A live event from the relay (validated there). A job's progress that arrives after
        its terminal event is dropped."""
        event = message.get("event")
        if not isinstance(event, dict) or event.get("user_id") != self.user_id:
            return  # defence in depth: the group is the user's own
        try:
            event = crypto.open_dict(event)
        except InvalidEvent as exc:
            # Only the fast path is lost: the notification service dead-letters the stream's copy.
            log.warning("live event %s dropped: %s", event.get("event_id"), exc)
            return
        try:
            event_type = EventType(event["event_type"])
            status = event["data"].get("status") if event_type == EventType.TASK_STATUS_UPDATE else None
        except (KeyError, ValueError, AttributeError):
            return
        job = job_key(event_type, event["data"])
        if job is not None:
            if is_progress(event_type, status) and job in self.finished_jobs:
                return
            if is_terminal(event_type, status):
                self.finished_jobs[job] = None
                while len(self.finished_jobs) > FINISHED_JOBS_REMEMBERED:
                    self.finished_jobs.popitem(last=False)
        await self.send_json({"type": "event", "event": event})

    async def notification_message(self, message: dict[str, Any]) -> None:
        await self.send_new_notifications()

    async def unread_changed(self, message: dict[str, Any]) -> None:
        await self.send_unread_count()

    # ---- sending ----------------------------------------------------------------------------

    async def send_new_notifications(self) -> None:
        """Send every stored notification after the last one sent, in id order, none twice."""
        if self.last_sent_id is None:
            return
        sent = 0
        while True:
            rows = await database_sync_to_async(self._rows_after)(self.last_sent_id)
            for row in rows:
                await self.send_json({"type": "notification", "notification": row})
                self.last_sent_id = row["id"]
            sent += len(rows)
            if len(rows) < feed.REPLAY_BATCH:
                break
        if sent:
            await self.send_unread_count()

    def _rows_after(self, last_id: int) -> list[dict[str, Any]]:
        return NotificationSerializer(feed.after(self.user_id, last_id), many=True).data  # type: ignore[return-value]

    async def send_unread_count(self) -> None:
        count = await database_sync_to_async(feed.unread_count)(self.user_id)
        await self.send_json({"type": "unread_count", "count": count})

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "error": code, "message": message})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, default=str))
