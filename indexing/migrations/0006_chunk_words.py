"""Chunk.words: a chunk's length in words (stop words included, as FTS5 counts its tokens), BM25's
document length on PostgreSQL too, where it was the tsvector's distinct lexemes; the statistics per
document count words (renamed from lexemes) on both engines. Filled for the chunks indexed before."""
from __future__ import annotations

from typing import Any

from django.db import migrations, models

from indexing.chunking import count_words

BATCH = 2000
# Added by hand: on SQLite, Django would rebuild indexing_chunk to add a NOT NULL column, dropping
# the FTS triggers (models.py); both engines' own ADD COLUMN takes a constant default in place.
ADD = {
    "sqlite": 'ALTER TABLE indexing_chunk ADD COLUMN "words" integer unsigned NOT NULL DEFAULT 0 CHECK ("words" >= 0)',
    "postgresql": 'ALTER TABLE indexing_chunk ADD COLUMN "words" integer NOT NULL DEFAULT 0 CHECK ("words" >= 0)',
}
STATS = """
UPDATE indexing_documentindexstats SET
    words = (SELECT coalesce(sum(c.words), 0) FROM indexing_chunk c WHERE c.document_id = indexing_documentindexstats.document_id),
    shortest = (SELECT coalesce(min(c.words), 0) FROM indexing_chunk c WHERE c.document_id = indexing_documentindexstats.document_id)
"""
FIELD = models.PositiveIntegerField(default=0)


def add_column(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(ADD[schema_editor.connection.vendor], params=None)


def drop_column(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute('ALTER TABLE indexing_chunk DROP COLUMN "words"', params=None)


def backfill(apps: Any, schema_editor: Any) -> None:
    Chunk = apps.get_model("indexing", "Chunk")
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            batch = list(Chunk.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "text")[:BATCH])
            if not batch:
                break
            cursor.executemany("UPDATE indexing_chunk SET words = %s WHERE id = %s", [(count_words(t), pk) for pk, t in batch])
            last = batch[-1][0]
        cursor.execute(STATS)


class Migration(migrations.Migration):
    dependencies = [
        ("indexing", "0005_correlation_id"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(model_name="chunk", name="words", field=FIELD)],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.RenameField(model_name="documentindexstats", old_name="lexemes", new_name="words"),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
