"""Deployment safety: daphne and the workers refuse to start with DEBUG off and the development
SECRET_KEY unless it is a local run; with HTTPS on and a real key, `check --deploy` is clean."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

from studyai import processes


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "STUDYAI_LOCAL_RUN", "DEBUG", "HTTPS")}
    return subprocess.run(args, env={**base, **env}, capture_output=True, text=True, timeout=120, cwd=processes.BASE_DIR)


def test_daphne_refuses_the_development_key_with_debug_off() -> None:
    refused = run([sys.executable, "-c", "import studyai.asgi"], DEBUG="false")
    assert refused.returncode != 0 and "SECRET_KEY is the built-in development key" in refused.stderr
    assert run([sys.executable, "-c", "import studyai.asgi"], DEBUG="false", STUDYAI_LOCAL_RUN="1").returncode == 0
    assert run([sys.executable, "-c", "import studyai.asgi"], DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50)).returncode == 0


def test_a_worker_refuses_the_development_key_with_debug_off() -> None:
    refused = run(processes.worker_command(["document_queue"], "refused", concurrency=1), DEBUG="false")  # exits at once
    assert refused.returncode != 0
    assert "SECRET_KEY is the built-in development key" in refused.stdout + refused.stderr


def test_check_deploy_is_clean_with_https_and_a_real_key() -> None:
    checked = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false", HTTPS="true", SECRET_KEY=secrets.token_urlsafe(50), SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true",
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
