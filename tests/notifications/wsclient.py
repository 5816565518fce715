"""A real WebSocket client for the feed (the `websockets` library, synchronous API)."""
from __future__ import annotations

import json
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


class FeedClient:
    def __init__(self, port: int, token: str | None = None, query: str = "", origin: str | None = None, **kwargs: Any) -> None:
        subprotocols = ["studyai", f"token.{token}"] if token else None
        url = f"ws://127.0.0.1:{port}/ws/notifications/" + (f"?{query}" if query else "")
        self.ws: ClientConnection = connect(
            url, subprotocols=subprotocols, origin=origin, open_timeout=10, max_size=2**22, **kwargs  # type: ignore[arg-type]
        ).__enter__()  # close() below is the exit
        self.frames: list[dict[str, Any]] = []

    def send(self, frame: Any) -> None:
        self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    def next_frame(self, timeout: float = 5.0) -> dict[str, Any]:
        frame = json.loads(self.ws.recv(timeout=timeout))
        self.frames.append(frame)
        return frame

    def wait_for(self, frame_type: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next_frame(timeout=max(0.01, deadline - time.monotonic()))
            if frame["type"] == frame_type:
                return frame

    def collect(self, frame_type: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Read frames until `count` of `frame_type` arrived (or time is up); returns those."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            try:
                frame = self.next_frame(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if frame["type"] == frame_type:
                got.append(frame)
        return got

    def drain(self, quiet: float = 0.5) -> list[dict[str, Any]]:
        """Everything that arrives until the socket has been quiet for `quiet` seconds."""
        got = []
        while True:
            try:
                got.append(self.next_frame(timeout=quiet))
            except TimeoutError:
                return got

    def notification_ids(self, frames: list[dict[str, Any]] | None = None) -> list[int]:
        return [f["notification"]["id"] for f in (frames if frames is not None else self.frames) if f["type"] == "notification"]

    def is_open(self) -> bool:
        try:
            self.send({"type": "ping"})
            self.wait_for("pong", timeout=5)
            return True
        except (ConnectionClosed, TimeoutError):
            return False

    def close(self) -> None:
        self.ws.close()
