"""The app's settings (settings.STUDYAI_INDEXING, from the environment), typed, read at each use
so a test's override takes effect."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class IndexingSettings:
    chunk_size: int
    chunk_overlap: int
    progress_interval: float  # seconds
    chunk_delay: float  # seconds
    semantic: str  # "auto" or "off"


def indexing_settings() -> IndexingSettings:
    raw: dict[str, Any] = settings.STUDYAI_INDEXING
    return IndexingSettings(
        chunk_size=int(raw["CHUNK_SIZE"]),
        chunk_overlap=int(raw["CHUNK_OVERLAP"]),
        progress_interval=int(raw["PROGRESS_INTERVAL_MS"]) / 1000,
        chunk_delay=int(raw["CHUNK_DELAY_MS"]) / 1000,
        semantic=str(raw["SEMANTIC"]),
    )
