"""LexemeCount: per document, how many chunks hold each lexeme and the most one holds; each
document's shortest chunk; an index of a page's chunks. PostgreSQL's BM25 reads them to skip
chunks that cannot rank; filled for the documents indexed before."""
from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
INSERT INTO indexing_lexemecount (document_id, lexeme, chunks, most)
SELECT c.document_id, u.lexeme, count(*), max(cardinality(u.positions)) FROM indexing_chunk c, unnest(c.search_vector) u GROUP BY 1, 2;
UPDATE indexing_documentindexstats s SET shortest = m.shortest
FROM (SELECT document_id, min(length(search_vector)) AS shortest FROM indexing_chunk GROUP BY 1) m WHERE m.document_id = s.document_id
"""


def backfill(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKFILL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("indexing", "0003_index_stats"),
    ]

    operations = [
        migrations.CreateModel(
            name="LexemeCount",
            fields=[
                ("pk", models.CompositePrimaryKey("document", "lexeme", blank=True, editable=False, primary_key=True, serialize=False)),
                ("lexeme", models.TextField()),
                ("chunks", models.PositiveIntegerField()),
                ("most", models.PositiveIntegerField()),
                (
                    "document",
                    models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="documents.document"
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="documentindexstats", name="shortest", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddIndex(
            model_name="chunk", index=models.Index(fields=["document", "page_number"], name="chunk_page")
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
