from __future__ import annotations


import pytest



@pytest.fixture
def indexing_handover(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the hand-over to indexing instead of indexing (the indexing tests cover that)."""
    handed: list[int] = []
    monkeypatch.setattr("documents.tasks.trigger_indexing", lambda document: handed.append(document.pk))
    return handed
