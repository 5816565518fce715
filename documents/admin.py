from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet

from .models import Document, DocumentPage
from .tasks import delete_document, reprocess


class DocumentPageInline(admin.TabularInline):
    model = DocumentPage
    fields = ["number", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    max_num = 0


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "owner", "content_type", "status", "failure_code", "page_count", "word_count", "created_at"]
    list_filter = ["status", "content_type"]
    search_fields = ["title", "original_filename", "owner__username"]
    readonly_fields = [
        "original_filename", "file", "content_type", "size", "sha256", "status", "failure_code", "failure_message",
        "page_count", "word_count", "truncated_at_page", "generation", "task_id", "created_at", "updated_at", "processed_at",
    ]
    inlines = [DocumentPageInline]
    actions = ["reprocess_documents", "delete_with_files"]

    @admin.action(description="Reprocess selected documents")
    def reprocess_documents(self, request: Any, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            reprocess(document)
        self.message_user(request, f"{queryset.count()} document(s) sent for processing again.")

    @admin.action(description="Delete selected documents with their files")
    def delete_with_files(self, request: Any, queryset: QuerySet[Document]) -> None:
        count = 0
        for document in queryset:
            self.delete_model(request, document)
            count += 1
        self.message_user(request, f"{count} document(s) deleted.")

    def delete_model(self, request: Any, obj: Document) -> None:
        delete_document(obj)

    def delete_queryset(self, request: Any, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            self.delete_model(request, document)
