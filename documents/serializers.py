from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import Document


class DocumentSerializer(serializers.ModelSerializer):
    """A document as clients see it: never the stored path, always the status and why it failed."""

    error = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id", "title", "original_filename", "content_type", "size", "sha256", "status", "error",
            "page_count", "word_count", "truncated_at_page", "created_at", "updated_at", "processed_at",
        ]
        read_only_fields = fields

    def get_error(self, document: Document) -> dict[str, str] | None:
        if not document.failure_code:
            return None
        return {"code": document.failure_code, "message": document.failure_message}


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # an empty file gets its own clear 400
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)

    def to_representation(self, instance: Any) -> Any:
        return DocumentSerializer(instance, context=self.context).data
