"""Extraction in a child process, so that a hostile or broken file can exhaust
only the child's memory and time, never the (long-lived, Celery) caller's.

A plain subprocess is used, not multiprocessing: a Celery prefork child is a
daemonic process, and daemonic processes may not have children of their own.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .core import out_of_memory_error
from .model import (
    ErrorCode,
    ExtractedPage,
    ExtractionError,
    ExtractionLimits,
    ExtractionResult,
    ProgressCallback,
)
from .pages import build_result, timeout_error

logger = logging.getLogger(__name__)

# The directory holding the `documents` package, so the child finds it from any cwd.
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
_READ_SIZE = 1024 * 1024
_STDERR_TAIL = 4000
_EXIT_GRACE_SECONDS = 5.0


def extract_isolated(
    path: str | os.PathLike[str],
    content_type: str,
    limits: ExtractionLimits | None = None,
    on_page: ProgressCallback | None = None,
) -> ExtractionResult:
    """Extract text as `extract` does, in a child process bounded by ``limits``.

    The child's address space is capped at ``max_memory_bytes`` and it is killed
    after ``timeout_seconds`` of wall-clock time. ``on_page`` is called here, in
    the caller's process, as each page arrives. A child that runs out of memory or
    time or crashes becomes an ExtractionError (out_of_memory, timeout, crashed).
    If the caller is interrupted (an exception in ``on_page``, a Celery soft time
    limit) the child is killed before the exception goes on.
    """
    limits = limits or ExtractionLimits()
    command = [
        sys.executable,
        "-X", "faulthandler",  # a crash in a C library leaves a Python traceback in the log
        "-m", f"{__package__}.child",
        os.path.abspath(path),
        content_type,
        json.dumps(limits.to_dict()),
    ]  # fmt: skip
    python_path = [_PROJECT_ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path)}
    deadline = time.monotonic() + limits.timeout_seconds
    inherited_rss = _current_rss()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=_PROJECT_ROOT
        )
        pages: list[ExtractedPage] = []
        done: dict[str, Any] | None = None
        exited = False
        try:
            assert process.stdout is not None
            for message in _messages(process.stdout, deadline):
                if "page" in message:
                    pages.append(ExtractedPage(message["page"], message["text"]))
                    if on_page is not None:
                        on_page(message["page"], message["total"])
                elif "done" in message:
                    done = message["done"]
                elif "error" in message:
                    raise ExtractionError.from_dict(message["error"])
            exited = True
        except _Timeout:
            raise timeout_error(limits) from None
        finally:
            exit_code, peak_rss = _reap(process, kill=not exited)
            # The child's peak counts the memory it had at fork (ours): only above that is it its own.
            if peak_rss <= inherited_rss:
                peak_rss = 0
        if done is None:
            raise _death_error(exit_code, peak_rss, limits, _tail(stderr))
    return build_result(content_type, pages, done["page_count"], done["truncated_at_page"])


class _Timeout(Exception):
    pass


def _messages(stream: IO[bytes], deadline: float) -> Iterator[dict[str, Any]]:
    """The child's messages as they arrive; raises _Timeout at the deadline."""
    buffer = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            if not selector.select(remaining):
                continue
            chunk = os.read(stream.fileno(), _READ_SIZE)
            if not chunk:
                return  # the child exited (a partial last line means it died mid-write)
            start = len(buffer)
            buffer += chunk
            end = buffer.find(b"\n", start)
            while end != -1:
                yield json.loads(buffer[:end])
                del buffer[: end + 1]
                end = buffer.find(b"\n")


def _current_rss() -> int:
    """This process's resident memory now, in bytes (Linux); 0 where unknown."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _reap(process: subprocess.Popen[bytes], *, kill: bool) -> tuple[int, int]:
    """Wait for the child, killing it first if ``kill`` or if it lingers after
    closing its output; (exit code, peak RSS in bytes)."""
    # os.kill, not Popen.kill, which may reap the child and lose its usage figures;
    # the pid cannot have been reused, as only this function reaps it.
    if kill:
        os.kill(process.pid, signal.SIGKILL)
    grace_ends = time.monotonic() + _EXIT_GRACE_SECONDS
    # wait4, unlike Popen.wait, reports the child's own peak memory.
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > grace_ends:
            os.kill(process.pid, signal.SIGKILL)
        time.sleep(0.005)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode, usage.ru_maxrss * 1024


def _death_error(exit_code: int, peak_rss: int, limits: ExtractionLimits, stderr: str) -> ExtractionError:
    """Explain a child that ended without a result.

    Under the address-space limit an allocation fails: Python raises MemoryError,
    but PDFium aborts the process (SIGABRT), and the kernel's OOM killer sends
    SIGKILL. So those two signals, or any other after the child used at least half
    of its allowance, are taken to mean it ran out of memory; other deaths are
    crashes, which may be retried.
    """
    logger.warning("extraction child ended with %s; stderr: %s", exit_code, stderr)
    if exit_code < 0:
        signal_number = -exit_code
        if signal_number == signal.SIGXCPU:
            return timeout_error(limits)
        # PDFium aborts when an allocation fails under the limit; the kernel's OOM killer
        # sends SIGKILL. `peak_rss` (the child's own, above what it inherited) backs up the rest.
        if signal_number in (signal.SIGKILL, signal.SIGABRT) or peak_rss * 2 >= limits.max_memory_bytes:
            return out_of_memory_error()
        cause = f"killed by signal {signal_number}: {signal.strsignal(signal_number)}"
    elif "MemoryError" in stderr:
        return out_of_memory_error()
    else:
        cause = f"exited with status {exit_code}"
    # Not the document's fault for certain (a bug in a parser, or in this machine),
    # so a retry is allowed.
    return ExtractionError(ErrorCode.CRASHED, f"The document reader stopped unexpectedly ({cause}).", permanent=False)


def _tail(stderr: IO[bytes]) -> str:
    stderr.seek(0, os.SEEK_END)
    stderr.seek(max(0, stderr.tell() - _STDERR_TAIL))
    return stderr.read().decode("utf-8", "replace")
