"""StudyAI benchmarks: run as modules from the project root, e.g. `.venv/bin/python -m bench.publish`.

Each benchmark starts its own Redis, database and daphne in a temporary folder (never the
machine's Redis db 0 nor a running `make run`), prints its figures beside a baseline measured in
the same run, and stops everything it started on exit, Ctrl-C or error. See docs/benchmarks.md.
"""
