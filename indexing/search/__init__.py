"""Search over chunks: `search(user, query, document_ids=None, mode="keyword", limit=20, offset=0)`.

Keyword search runs on the database's own full-text engine, chosen by `connection.vendor`
(postgres.py: tsvector + GIN; sqlite.py: FTS5); semantic and hybrid search (semantic.py) are an
optional extra. query.py reads the user's query; snippets.py makes the highlighted snippets (the best sentence).
"""
from .query import SearchError
from .semantic import SemanticUnavailable
from .service import MODES, Mode, SearchHit, SearchResults, remove_document, search

__all__ = ["MODES", "Mode", "SearchError", "SearchHit", "SearchResults", "SemanticUnavailable", "remove_document", "search"]
