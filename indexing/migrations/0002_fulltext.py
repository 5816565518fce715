"""The full-text index of chunks, in the database's own engine.

PostgreSQL: a stored generated `tsvector` column (English stemming and stop words) with a GIN index.
SQLite: an external-content FTS5 table (Porter stemming) over indexing_chunk, kept in step by
triggers, so inserts, deletes and cascades from a deleted document all update the index.
"""
from __future__ import annotations

from typing import Any

from django.db import migrations

POSTGRESQL = {
    "forward": [
        "ALTER TABLE indexing_chunk ADD COLUMN search_vector tsvector"
        " GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
        "CREATE INDEX indexing_chunk_search_vector ON indexing_chunk USING GIN (search_vector)",
        # Ranking reads the vector of every match: keep it in the row, uncompressed, and move the
        # text (read only for the page's snippets) out of line instead. Measured on 100,000 chunks
        # (bench/search.py): single-word p95 about 15% lower, inserts a little faster.
        "ALTER TABLE indexing_chunk ALTER COLUMN search_vector SET STORAGE MAIN",
        "ALTER TABLE indexing_chunk ALTER COLUMN text SET STORAGE EXTERNAL",
    ],
    "backward": [
        "ALTER TABLE indexing_chunk ALTER COLUMN text SET STORAGE EXTENDED",
        "DROP INDEX IF EXISTS indexing_chunk_search_vector",
        "ALTER TABLE indexing_chunk DROP COLUMN IF EXISTS search_vector",
    ],
}

SQLITE = {
    "forward": [
        "CREATE VIRTUAL TABLE indexing_chunk_fts USING fts5("
        " text, content='indexing_chunk', content_rowid='id',"
        " tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER indexing_chunk_fts_insert AFTER INSERT ON indexing_chunk BEGIN"
        " INSERT INTO indexing_chunk_fts(rowid, text) VALUES (new.id, new.text); END",
        "CREATE TRIGGER indexing_chunk_fts_delete AFTER DELETE ON indexing_chunk BEGIN"
        " INSERT INTO indexing_chunk_fts(indexing_chunk_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
        "CREATE TRIGGER indexing_chunk_fts_update AFTER UPDATE ON indexing_chunk BEGIN"
        " INSERT INTO indexing_chunk_fts(indexing_chunk_fts, rowid, text) VALUES ('delete', old.id, old.text);"
        " INSERT INTO indexing_chunk_fts(rowid, text) VALUES (new.id, new.text); END",
        # Index whatever rows already exist.
        "INSERT INTO indexing_chunk_fts(indexing_chunk_fts) VALUES ('rebuild')",
    ],
    "backward": [
        "DROP TRIGGER IF EXISTS indexing_chunk_fts_insert",
        "DROP TRIGGER IF EXISTS indexing_chunk_fts_delete",
        "DROP TRIGGER IF EXISTS indexing_chunk_fts_update",
        "DROP TABLE IF EXISTS indexing_chunk_fts",
    ],
}

SQL = {"postgresql": POSTGRESQL, "sqlite": SQLITE}


def _run(direction: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor not in SQL:
            raise RuntimeError(f"keyword search supports PostgreSQL and SQLite, not {vendor}")
        for statement in SQL[vendor][direction]:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("indexing", "0001_initial")]

    operations = [migrations.RunPython(_run("forward"), _run("backward"), elidable=False)]
