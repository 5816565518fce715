"""A fake OpenAI-compatible chat-completions server on a free local port: each request gets the
next scripted reply (a callable of the request body), and requests are recorded."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], tuple[int, Any]]  # request body -> (status, body)


class FakeLLM:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.base_url = ""

    def reply_with(self, *replies: Reply) -> None:
        self.replies = list(replies)


def completion(content: Any) -> Reply:
    """A chat completion whose message content is `content` (JSON-encoded unless a str)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return lambda body: (200, {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})


def slow(seconds: float) -> Reply:
    def reply(body: dict[str, Any]) -> tuple[int, Any]:
        time.sleep(seconds)
        return 200, {}

    return reply


def error(status: int) -> Reply:
    return lambda body: (status, {"error": {"message": "boom"}})


@contextmanager
def fake_llm_server() -> Iterator[FakeLLM]:
    fake = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            reply = fake.replies.pop(0) if fake.replies else error(500)
            status, payload = reply(body)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timed out) first

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
