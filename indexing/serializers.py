from __future__ import annotations

from typing import Any

from rest_framework import serializers

from studyai.api import ObjectIdField

from .models import IndexJob
from .search import MODES
from .search.query import MAX_QUERY_CHARS
from .search.service import MAX_LIMIT, MAX_OFFSET

MAX_DOCUMENT_FILTERS = 100


class DocumentIdsField(serializers.ListField):
    """`document=3&document=5` or `document=3,5`: a list of document ids."""

    child = ObjectIdField()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_DOCUMENT_FILTERS, **kwargs)

    def to_internal_value(self, data: Any) -> list[int]:
        items = [data] if isinstance(data, str) else list(data)
        parts = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
        return list(super().to_internal_value(parts))


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_CHARS, help_text='The query: words (ranked, not all required), "a phrase", a OR b, -excluded.'
    )
    mode = serializers.ChoiceField(
        choices=MODES, required=False,
        help_text="default: hybrid when the semantic extra is installed, else keyword; semantic and hybrid need the extra",
    )  # fmt: skip
    document = DocumentIdsField(required=False, help_text="only these documents (repeat it, or comma-separate ids)")
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=20)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["page"] - 1) * attrs["page_size"] > MAX_OFFSET:
            raise serializers.ValidationError({"page": f"Only the first {MAX_OFFSET} results can be paged to."})
        return attrs


class SearchDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="document_id")
    title = serializers.CharField(source="document_title")


class SearchHitSerializer(serializers.Serializer):
    """A SearchHit (indexing.search) as the API shows it."""

    document = SearchDocumentSerializer(source="*")
    page = serializers.IntegerField(source="page_number", help_text="1-based page (or section) number")
    chunk = serializers.CharField(source="chunk_key", help_text="the passage's stable id")
    char_start = serializers.IntegerField(help_text="offset of the passage in the page's text")
    char_end = serializers.IntegerField()
    span_start = serializers.IntegerField(
        help_text="the page's matching passages (this one and its neighbours, merged into this result) start here"
    )
    span_end = serializers.IntegerField()
    snippet = serializers.CharField(
        help_text="HTML: the best-matching sentence (and neighbours), escaped, the matched words in <mark>…</mark>"
    )
    score = serializers.FloatField(help_text="higher is better; comparable within one response")


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="pages matching the query; at least this many when count_exact is false")
    count_exact = serializers.BooleanField(
        help_text="false when a query of many common words was ranked without reading all its matches: count is then a lower bound"
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    mode = serializers.ChoiceField(choices=MODES, help_text="the mode that answered")
    results = SearchHitSerializer(many=True)


class IndexJobSerializer(serializers.ModelSerializer):
    document = serializers.IntegerField(source="document_id")

    class Meta:
        model = IndexJob
        fields = [
            "id", "document", "generation", "trigger", "status", "attempts", "failures", "chunks_done",
            "chunks_total", "error", "timings", "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields
