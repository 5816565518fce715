"""The material of a quiz, read from the database: its documents' chunks as passages, and each
document's key terms, computed once and kept in DocumentTerms until the chunks change."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db import IntegrityError, transaction

from indexing.models import Chunk

from .generators.schema import KeyTerm, Material, Passage
from .generators.terms import ALGORITHM_VERSION, key_terms
from .models import DocumentTerms


def load_material(document_ids: Sequence[int]) -> Material:
    """Passages of the documents in the given order (each in reading order) and their terms."""
    rows = (
        Chunk.objects.filter(document_id__in=list(document_ids))
        .order_by("document_id", "ordinal")
        .values_list("id", "document_id", "page_number", "char_start", "char_end", "text", "key")
    )
    passages: dict[int, list[Passage]] = {document_id: [] for document_id in document_ids}
    keys: dict[int, list[str]] = {document_id: [] for document_id in document_ids}
    for chunk_id, document_id, page_number, char_start, char_end, text, key in rows:
        passages[document_id].append(
            Passage(chunk_id=chunk_id, document_id=document_id, page_number=page_number, char_start=char_start, char_end=char_end, text=text)
        )
        keys[document_id].append(key)
    terms = {document_id: document_terms(document_id, passages[document_id], keys[document_id]) for document_id in document_ids}
    return Material(passages=[p for document_id in document_ids for p in passages[document_id]], terms=terms)


def prepare_terms(document_id: int) -> int | None:
    """The document's key terms computed and kept if they are not yet (its first quiz then reads
    them): how many it has, None when it has no chunks (deleted, or not indexed)."""
    material = load_material([document_id])
    return len(material.terms[document_id]) if material.passages else None


def document_terms(document_id: int, passages: Sequence[Passage], chunk_keys: Sequence[str]) -> list[KeyTerm]:
    """The document's key terms: from the cache when its chunks are the ones they were computed
    from, else computed and cached."""
    if not passages:
        return []
    fingerprint = hashlib.blake2b(f"v{ALGORITHM_VERSION}:{','.join(chunk_keys)}".encode(), digest_size=16).hexdigest()
    cached = DocumentTerms.objects.filter(document_id=document_id, fingerprint=fingerprint).values_list("terms", flat=True).first()
    if cached is not None:
        return [KeyTerm(*row) for row in cached]
    terms = key_terms(passages)
    rows = [[t.key, t.text, t.kind, t.words, t.count, t.score, t.position] for t in terms]
    try:
        with transaction.atomic():
            DocumentTerms.objects.update_or_create(document_id=document_id, defaults={"fingerprint": fingerprint, "terms": rows})
    except IntegrityError:
        pass  # another worker cached the same terms at the same moment, or the document is gone
    return terms
