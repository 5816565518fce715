"""The one search interface: `search(user, query, ...)`, keyword, semantic or hybrid, on whichever
database Django runs on. Only the user's own documents are ever read."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction

from documents.models import Document

from ..models import Chunk, DocumentIndexStats, LexemeCount
from . import proximity, semantic
from .backends import KeywordBackend, Ranked, keyword_backend
from .query import KeywordQuery, SearchError, clean, parse
from .snippets import excerpt

Mode = Literal["keyword", "semantic", "hybrid"]
MODES: tuple[Mode, ...] = ("keyword", "semantic", "hybrid")
MAX_LIMIT = 100
# Deep pages cost the engine all the rows before them; nobody reads that far.
MAX_OFFSET = 10_000


@dataclass(frozen=True)
class SearchHit:
    chunk_id: int
    chunk_key: str
    document_id: int
    document_title: str
    page_number: int
    char_start: int  # the chunk's place in the page's text: page.text[char_start:char_end] == its text
    char_end: int
    span_start: int  # the span, in the page's text, of all the page's matching chunks (merged into this hit)
    span_end: int
    snippet: str  # safe HTML: the best-matching sentence, escaped, the query's words in <mark>…</mark>
    score: float  # higher is better; comparable within one response only


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    total: int  # pages matching; a lower bound when total_exact is False
    mode: Mode
    total_exact: bool = True


def search(
    user: Any,
    query: str,
    document_ids: Sequence[int] | None = None,
    mode: Mode | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Ranked passages of `user`'s documents (of `document_ids` only, when given), one per page:
    the page's best chunk, with the span of all the page's matching chunks. `mode` None is
    hybrid when the semantic extra is enabled, keyword otherwise (`SearchResults.mode` says which).
    Raises SearchError (with a message for the user) for a query that cannot be run."""
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}.")
    if not 0 <= offset <= MAX_OFFSET:
        raise SearchError(f"Results past the first {MAX_OFFSET} cannot be paged to; narrow the query.")
    if mode is None:
        mode = "hybrid" if semantic.enabled() else "keyword"
    if mode not in MODES:
        raise SearchError(f"Unknown mode {mode!r}: use one of {', '.join(MODES)}.")
    ids = None if document_ids is None else sorted(set(document_ids))
    text = clean(query)
    keyword = parse(text) if mode in ("keyword", "hybrid") else None
    vector = _query_vector(text) if mode in ("semantic", "hybrid") else None
    backend = keyword_backend()
    texts: dict[int, str] = {}  # chunk texts already read (the proximity re-sort's), for the snippets
    with backend.snapshot():
        if vector is None and keyword is not None:
            ranked = _keyword(backend, user.pk, keyword, ids, limit, offset, texts)
        elif vector is not None and keyword is None:
            ranked = _per_page([semantic.rank(user.pk, vector, ids, semantic.CANDIDATES, 0)], limit, offset)
        else:
            assert vector is not None and keyword is not None
            by_keyword = _keyword(backend, user.pk, keyword, ids, semantic.CANDIDATES, 0, texts)
            by_meaning = semantic.rank(user.pk, vector, ids, semantic.CANDIDATES, 0)
            ranked = _per_page([by_keyword, by_meaning], limit, offset)
        # A semantic query needs no keyword in it; its words, if any, are still highlighted.
        highlight = keyword if keyword is not None else _parse_or_none(text)
        return SearchResults(_hits(ranked, highlight, texts), ranked.total, mode, ranked.total_exact)


def _keyword(
    backend: KeywordBackend, owner_id: int, query: KeywordQuery, ids: Sequence[int] | None, limit: int, offset: int,
    texts: dict[int, str],
) -> Ranked:  # fmt: skip
    """The engine's BM25 ranking of pages with its first proximity.DEPTH re-sorted by term
    proximity; a page of results wholly past them is the engine's own. The chunk texts the
    re-sort reads are added to `texts`."""
    words = query.scored
    if offset >= proximity.DEPTH or not proximity.applies(words):
        return backend.rank(owner_id, query, ids, limit, offset)
    ranked = backend.rank(owner_id, query, ids, max(proximity.DEPTH, offset + limit), 0)
    head = _ids(ranked)[: proximity.DEPTH]
    texts.update(Chunk.objects.filter(pk__in=head).values_list("pk", "text"))
    collection = ranked.collection or backend.collection(owner_id, words, ids)
    ranked = proximity.rerank(ranked, texts, words, collection)
    return Ranked(ranked.scored[offset : offset + limit], ranked.total, ranked.spans, ranked.total_exact)


def _query_vector(text: str) -> bytes:
    semantic.require()
    return semantic.embed([text])[0]  # outside the snapshot: the first call loads the model


def remove_document(document_id: int) -> int:
    """Delete a document's chunks (their index entries go with them, by the FTS triggers or the
    generated column) under the document's row lock, the lock an indexing run takes to write.
    Call it in the transaction that deletes the document, before the delete: an indexing run
    finishing at that moment then cannot leave chunks behind a deleted document."""
    with transaction.atomic():
        Document.objects.select_for_update().filter(pk=document_id).values_list("pk").first()
        deleted, _ = Chunk.objects.filter(document_id=document_id).delete()
        DocumentIndexStats.objects.filter(document_id=document_id).delete()
        LexemeCount.objects.filter(document_id=document_id).delete()
    return deleted


def _parse_or_none(text: str) -> KeywordQuery | None:
    try:
        return parse(text)
    except SearchError:
        return None  # nothing to highlight; the semantic query itself is fine


def _ids(ranked: Ranked) -> list[int]:
    return [chunk_id for chunk_id, _ in ranked.scored]


def _per_page(rankings: Sequence[Ranked], limit: int, offset: int) -> Ranked:
    """Chunk rankings (semantic, or keyword and semantic) as one ranking of pages: each ranking
    keeps a page's best chunk; with two, the pages are fused by reciprocal rank (semantic.fuse),
    a page standing for the same chunk in both (the keyword one's, which holds the words)."""
    every = {chunk_id for ranked in rankings for chunk_id in _ids(ranked)}
    place = {
        pk: ((document_id, page), (start, end))
        for pk, document_id, page, start, end in Chunk.objects.filter(pk__in=every).values_list(
            "pk", "document_id", "page_number", "char_start", "char_end"
        )
    }
    chosen: dict[tuple[int, int], int] = {}  # page -> the chunk that stands for it
    spans: dict[int, tuple[int, int]] = {}
    orders: list[list[int]] = []
    for ranked in rankings:
        order: list[int] = []
        for chunk_id in _ids(ranked):
            if chunk_id not in place:
                continue  # deleted since it was ranked
            page, (start, end) = place[chunk_id]
            start, end = ranked.spans.get(chunk_id, (start, end))
            representative = chosen.setdefault(page, chunk_id)
            if representative not in order:
                order.append(representative)
            old = spans.get(representative, (start, end))
            spans[representative] = (min(old[0], start), max(old[1], end))
        orders.append(order)
    if len(orders) > 1:
        fused = semantic.fuse(orders, limit, offset)
    else:
        fused = Ranked(_scores(rankings[0], orders[0])[offset : offset + limit], len(orders[0]))
    return Ranked(fused.scored, fused.total, {chunk_id: spans[chunk_id] for chunk_id, _ in fused.scored})


def _scores(ranked: Ranked, order: Sequence[int]) -> list[tuple[int, float]]:
    score = dict(ranked.scored)
    return [(chunk_id, score[chunk_id]) for chunk_id in order]


def _hits(ranked: Ranked, keyword: KeywordQuery | None, texts: dict[int, str]) -> list[SearchHit]:
    """The hits of `ranked`, their snippets from `texts` where it has them (read already), else
    from the chunks."""
    ids = _ids(ranked)
    if not ids:
        return []
    fields = ["key", "page_number", "char_start", "char_end", "document__title"]
    if not texts.keys() >= set(ids):
        fields.append("text")
    chunks = Chunk.objects.filter(pk__in=ids).select_related("document").only(*fields)
    by_id = {chunk.pk: chunk for chunk in chunks}
    words = keyword.words if keyword is not None else []
    hits = []
    for chunk_id, score in ranked.scored:
        chunk = by_id.get(chunk_id)
        if chunk is None:  # deleted between two queries of a caller's READ COMMITTED transaction
            continue
        start, end = ranked.spans.get(chunk_id, (chunk.char_start, chunk.char_end))
        start, end = min(start, chunk.char_start), max(end, chunk.char_end)
        hits.append(
            SearchHit(
                chunk_id=chunk_id,
                chunk_key=chunk.key,
                document_id=chunk.document_id,
                document_title=chunk.document.title,
                page_number=chunk.page_number,
                char_start=chunk.char_start,
                char_end=chunk.char_end,
                span_start=start,
                span_end=end,
                snippet=excerpt(texts[chunk_id] if chunk_id in texts else chunk.text, words),
                score=round(score, 6),
            )
        )
    return hits
