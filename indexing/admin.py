from __future__ import annotations

from django.contrib import admin

from .models import Chunk, IndexJob


@admin.register(IndexJob)
class IndexJobAdmin(admin.ModelAdmin):
    list_display = [
        "id", "document", "generation", "trigger", "status", "chunks_done", "chunks_total", "attempts", "failures",
        "created_at", "finished_at",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["document__title", "task_id", "error"]
    raw_id_fields = ["document"]
    readonly_fields = [f.name for f in IndexJob._meta.fields]


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    """Read-only: chunks are written by indexing runs only."""

    list_display = ["id", "document", "page_number", "ordinal", "char_start", "char_end", "key"]
    search_fields = ["key", "document__title"]
    raw_id_fields = ["document"]
    readonly_fields = [f.name for f in Chunk._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
