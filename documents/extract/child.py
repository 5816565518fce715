"""The isolated extraction process, started by `isolation.extract_isolated`.

    python -m documents.extract.child PATH CONTENT_TYPE LIMITS_JSON

It limits its own address space, CPU time and core dumps before reading the file,
then writes one JSON object per line to stdout:

    {"page": 1, "total": 12, "text": "..."}               one per page, in order
    {"done": {"page_count": 12, "truncated_at_page": null}} at the end, or instead
    {"error": {"code": "...", "message": "...", "permanent": true}}
"""

from __future__ import annotations

import errno
import json
import math
import os
import resource
import sys
from typing import IO, Any, NoReturn

from .core import open_pages, out_of_memory_error
from .model import ExtractionError, ExtractionLimits


def main(argv: list[str]) -> NoReturn:
    path, content_type, limits_json = argv
    limits = ExtractionLimits.from_dict(json.loads(limits_json))
    protocol = _protocol_stream()
    # The limits are set by the child itself rather than in a preexec_fn, which is
    # unsafe when the parent (a Celery worker, a web server) runs threads.
    _limit_resources(limits)
    try:
        reader = open_pages(path, content_type, limits)
        for page in reader:
            _send(protocol, {"page": page.number, "total": reader.source.total, "text": page.text})
        done = {"page_count": reader.source.total, "truncated_at_page": reader.truncated_at_page}
        _send(protocol, {"done": done})
    except ExtractionError as exc:
        _send(protocol, {"error": exc.to_dict()})
    except MemoryError:
        _send(protocol, {"error": out_of_memory_error().to_dict()})
    except OSError as exc:
        # Under the address-space limit, mmap and loading a shared library fail
        # with ENOMEM ("failed to map segment from shared object").
        if exc.errno != errno.ENOMEM and "map segment" not in str(exc):
            raise
        _send(protocol, {"error": out_of_memory_error().to_dict()})
    protocol.close()
    # Everything is said: skip the interpreter's orderly shutdown, which the caller would
    # otherwise wait for (about 18 ms).
    os._exit(0)


def _limit_resources(limits: ExtractionLimits) -> None:
    memory = limits.max_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not dump the document to disk
    # A backstop for an orphan: the parent enforces the wall-clock limit itself.
    cpu_seconds = math.ceil(limits.timeout_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def _protocol_stream() -> IO[bytes]:
    """stdout, reserved for the protocol: file descriptor 1 is pointed at stderr so
    that nothing a library prints can be taken for a message."""
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return protocol


def _send(stream: IO[bytes], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
    stream.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
