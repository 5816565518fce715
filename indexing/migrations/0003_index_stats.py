"""DocumentIndexStats: each document's chunk count and total length (PostgreSQL's BM25 reads them),
filled for the documents indexed before it."""
from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = {
    "postgresql": "INSERT INTO indexing_documentindexstats (document_id, chunks, lexemes)"
    " SELECT document_id, count(*), coalesce(sum(length(search_vector)), 0) FROM indexing_chunk GROUP BY document_id",
    "sqlite": "INSERT INTO indexing_documentindexstats (document_id, chunks, lexemes)"
    " SELECT document_id, count(*), 0 FROM indexing_chunk GROUP BY document_id",
}


def backfill(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(BACKFILL[schema_editor.connection.vendor], params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("indexing", "0002_fulltext"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentIndexStats",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="index_stats",
                        serialize=False, to="documents.document",
                    ),
                ),
                ("chunks", models.PositiveIntegerField()),
                ("lexemes", models.PositiveBigIntegerField()),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
