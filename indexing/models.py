"""Models of the indexing app (built in its own issue)."""
