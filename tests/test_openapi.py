"""The OpenAPI schema builds without a warning (every path typed, every enum named)."""
from __future__ import annotations

from pathlib import Path

from django.core.management import call_command


def test_schema_generates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/documents/", "/api/search/", "/api/quizzes/", "/api/notifications/", "/api/tasks/{task_id}/"):
        assert f"{path}:" in text
