"""Structured logs (studyai/logs.py): one JSON object per line with the ids bound for the request,
task or event; secrets scrubbed; LOG_FORMAT=text for a readable console."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

import pytest

from studyai import logs, processes


def record(message: str, *args: Any, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise RuntimeError("boom with password=hunter2")
        except RuntimeError:
            info = sys.exc_info()
    item = logging.LogRecord("studyai.test", logging.WARNING, __file__, 1, message, args, info)
    logs.ContextFilter().filter(item)
    return item


def test_a_line_is_json_with_the_bound_ids_and_no_secret() -> None:
    with logs.bound(correlation_id="doc_process_4_1", user_id=7), logs.bound(task_id="t-1"):
        line = logs.JsonLineFormatter().format(record("GET /ws/?token=%s done; Authorization: Token abc123", "s3cr3t", exc=True))
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "studyai.test" and data["time"]
    assert (data["correlation_id"], data["task_id"], data["user_id"]) == ("doc_process_4_1", "t-1", 7)
    assert "event_id" not in data  # only the ids that are known
    assert "s3cr3t" not in line and "abc123" not in line and "hunter2" not in line
    assert "token=[redacted]" in data["message"] and "RuntimeError" in data["traceback"]


def test_the_context_ends_with_its_block() -> None:
    with logs.bound(correlation_id="a"):
        assert logs.current() == {"correlation_id": "a"}
    assert logs.current() == {}
    assert logs.TextFormatter().format(record("plain")).endswith("studyai.test: plain")


@pytest.mark.parametrize(("log_format", "is_json"), [("json", True), ("text", False)])
def test_a_process_logs_in_the_chosen_format(log_format: str, is_json: bool) -> None:
    code = "import django, logging; django.setup(); logging.getLogger('studyai.x').warning('hello password: pw1')"
    env = {**os.environ, "LOG_FORMAT": log_format, "DJANGO_SETTINGS_MODULE": "studyai.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=processes.BASE_DIR)
    line = out.stderr.strip().splitlines()[-1]
    assert "pw1" not in line
    if is_json:
        assert json.loads(line)["message"] == "hello password: [redacted]"
    else:
        assert line.endswith("studyai.x: hello password: [redacted]")


def test_a_request_says_its_correlation_id(client: Any) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="req-from-the-client-1")
    assert response["X-Request-ID"] == "req-from-the-client-1"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id!")["X-Request-ID"].startswith("req-")
