"""Models of the documents app (built in its own issue)."""
