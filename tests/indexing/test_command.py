from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from documents.models import Document
from indexing.models import Chunk, IndexJob

from .conftest import indexing_events, make_document

pytestmark = pytest.mark.django_db


def reindex(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("reindex", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_reindex_a_users_documents(user: Any, other_user: Any) -> None:
    mine = [make_document(user, f"Doc {i}", ["Ribosomes build proteins. " * 50] * 2) for i in range(3)]
    make_document(user, "Failed", ["x"], status=Document.Status.FAILED)
    theirs = make_document(other_user, "Theirs", ["Not mine."])
    out, err = reindex("--user", "alice")
    assert re.search(rf"Indexed 3 of 3 documents \({Chunk.objects.count():,} chunks\) in \d+\.\d s\.\n$", out)
    assert err == ""
    assert {j.document_id for j in IndexJob.objects.filter(status="completed")} == {d.pk for d in mine}
    assert not Chunk.objects.filter(document=theirs).exists()
    assert [e["event_type"] for e in indexing_events(mine[0])][-1] == "indexing.completed"
    # One correlation id for the run: every job and its events carry it, and it is printed.
    run_ids = set(IndexJob.objects.values_list("correlation_id", flat=True))
    assert len(run_ids) == 1 and out.startswith(f"correlation id: {run_ids.pop()}")
    assert {e["correlation_id"] for d in mine for e in indexing_events(d)} == set(IndexJob.objects.values_list("correlation_id", flat=True))


def test_reindex_one_document_or_all(user: Any, other_user: Any) -> None:
    first = make_document(user, "One", ["Alpha."])
    second = make_document(other_user, "Two", ["Beta."])
    busy = make_document(user, "Busy", ["Gamma."], status=Document.Status.PROCESSING)
    reindex("--document", str(first.pk))
    assert set(Chunk.objects.values_list("document_id", flat=True)) == {first.pk}
    out, _ = reindex("--all")
    assert "Indexed 2 of 2 documents" in out
    assert set(Chunk.objects.values_list("document_id", flat=True)) == {first.pk, second.pk}
    _, err = reindex("--document", str(busy.pk))
    assert "only a processed document" in err


@pytest.mark.parametrize(
    "args, message",
    [((), "one of the arguments"), (("--document", "999"), "No document"), (("--user", "nobody"), "No user")],
)
def test_reindex_refuses_bad_arguments(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        reindex(*args)
