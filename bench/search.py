"""Keyword search at scale: indexing chunks per second and query latency, beside the bm25s library
indexing and querying the very same chunks in the same run.

The corpus is generated (seeded): a Zipf-distributed vocabulary of synthetic words, documents on
topics (a third of each chunk's words come from its document's topic, so words co-occur as in
real notes), written as sentences on pages that the real chunker cuts into ~1,000-character
chunks. One user owns all of it (the worst case for the per-user filter).

Indexing, on a fresh index, through the real code path (reading pages, chunking, IndexJob rows and
indexing.* events, one transaction per document that replaces its chunks):
  1 process     half of the documents, `indexing.indexer.run` in this process
  worker        the other half through a real Celery worker on indexing_queue, with one pool
                process per core (`-c <cores>`, Celery's default): the deployed configuration
  bm25s         bm25s.tokenize (English stop words, PyStemmer's English stemmer) + BM25.index
                over every chunk's text, one process (the library has no parallel indexing)

Queries (after VACUUM ANALYZE on PostgreSQL, as autovacuum would soon do: without statistics on
the new documents the planner can pick a per-document plan that is several times slower), each through
`indexing.search.search(user, q, limit=10)` (ranking, total count, snippets, document titles: all
an API call does but HTTP), drawn from the corpus' own chunks, leaving out the 100 most frequent
words (the synthetic language's stop words):
  single-word   one word of a random chunk
  multi-word    2-3 words of one random chunk (ranked: a page matches with any of them)
  phrase        2-3 consecutive words of a random chunk, quoted (a constraint: they must stand together)
"BM25 alone" is the same search without the term-proximity re-sort of its first 30 pages
(indexing/search/proximity.py), in the same run: what proximity costs.
bm25s answers the same queries (k=10, one query per call; it has no phrases: it scores the words).
"matches" is the search's total: pages (one result per page), as the API counts them.

    .venv/bin/python -m bench.search [--chunks 100000] [--queries 300]
    .venv/bin/python -m bench.search --database-url postgres://postgres@127.0.0.1:5432/postgres
"""
from __future__ import annotations

import logging
import os
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench._common import BenchEnv, base_parser, bench_env, describe_machine, fmt, percentile, print_table

GOAL_P95_MS = 50.0
GOAL_INDEX_RATIO = 0.5
VOCABULARY = 20_000
STOP_WORDS = 100  # the most frequent words, never used in queries
TOPICS = 50
TOPIC_WORDS = 120
TOPIC_SHARE = 1 / 3
WORDS_PER_PAGE = 340  # about three chunks a page
PAGES_PER_DOCUMENT = 333  # about 1,000 chunks a document
SYLLABLES = [consonant + vowel for consonant in "bdfklmnprstvz" for vowel in "aeiou"]
QUERY_KINDS = ("single-word", "multi-word", "phrase")


@dataclass
class Corpus:
    words: list[str]  # by frequency rank
    documents: list[list[str]]  # pages of text, per document


def make_corpus(chunks: int, seed: int) -> Corpus:
    import numpy as np

    rng = np.random.default_rng(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES, rng.integers(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = 1.0 / np.arange(1, VOCABULARY + 1)
    cumulative = np.cumsum(weights / weights.sum())
    topics = [rng.choice(np.arange(STOP_WORDS * 2, VOCABULARY), TOPIC_WORDS, replace=False) for _ in range(TOPICS)]
    document_count = max(1, round(chunks / (PAGES_PER_DOCUMENT * 3)))
    documents = []
    for d in range(document_count):
        topic = topics[d % TOPICS]
        pages = []
        for _ in range(PAGES_PER_DOCUMENT):
            ranks = np.searchsorted(cumulative, rng.random(WORDS_PER_PAGE))
            from_topic = rng.random(WORDS_PER_PAGE) < TOPIC_SHARE
            ranks[from_topic] = topic[rng.integers(0, TOPIC_WORDS, int(from_topic.sum()))]
            tokens = [words[r] for r in ranks]
            sentences, i = [], 0
            while i < len(tokens):
                n = int(rng.integers(8, 20))
                sentences.append(" ".join(tokens[i : i + n]).capitalize() + ".")
                i += n
            pages.append(" ".join(sentences))
        documents.append(pages)
    return Corpus(words, documents)


def make_queries(texts: Sequence[str], stop_words: set[str], count: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    queries: dict[str, list[str]] = {kind: [] for kind in QUERY_KINDS}
    while any(len(q) < count for q in queries.values()):
        tokens = re.findall(r"[a-z]+", rng.choice(texts).lower())
        content = [t for t in tokens if t not in stop_words]
        if len(queries["single-word"]) < count:
            queries["single-word"].append(rng.choice(content))
        if len(queries["multi-word"]) < count:
            queries["multi-word"].append(" ".join(rng.sample(content, rng.randint(2, 3))))
        if len(queries["phrase"]) < count:
            n = rng.randint(2, 3)
            start = rng.randrange(len(tokens) - n)
            if not any(t in stop_words for t in tokens[start : start + n]):
                queries["phrase"].append('"' + " ".join(tokens[start : start + n]) + '"')
    return queries


def create_documents(corpus: Corpus) -> tuple[Any, list[Any]]:
    from django.contrib.auth import get_user_model

    from documents.models import Document, DocumentPage

    user = get_user_model().objects.create_user(username="reader")
    documents = []
    for i, pages in enumerate(corpus.documents):
        document = Document.objects.create(
            owner=user, title=f"Notes {i}", original_filename=f"notes-{i}.txt", content_type="text/plain",
            size=sum(map(len, pages)), sha256=f"{i:064x}", status=Document.Status.PROCESSED, page_count=len(pages),
        )
        DocumentPage.objects.bulk_create([DocumentPage(document=document, number=n, text=t) for n, t in enumerate(pages, 1)])
        documents.append(document)
    return user, documents


def index_in_process(documents: Sequence[Any]) -> tuple[int, float]:
    from indexing import indexer
    from indexing.jobs import reindex_job

    chunks = 0
    started = time.perf_counter()
    for document in documents:
        job, _ = reindex_job(document)
        chunks += indexer.run(job) or 0
    return chunks, time.perf_counter() - started


def index_with_worker(env: BenchEnv, documents: Sequence[Any], processes: int) -> tuple[int, float]:
    import sys

    from indexing.models import IndexJob
    from indexing.tasks import index_document
    from studyai.celery import app

    worker = env.spawn(
        "worker",
        [sys.executable, "-m", "celery", "-A", "studyai", "worker", "-Q", "indexing_queue", "-c", str(processes),
         "-P", "prefork", "-l", "warning", "--without-gossip", "--without-mingle"],
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{env.log_tail('worker')}")
    started = time.perf_counter()
    for document in documents:
        index_document.delay(document.pk, document.generation)
    ids = [d.pk for d in documents]
    while IndexJob.objects.filter(document_id__in=ids, status__in=["completed", "failed"]).count() < len(ids):
        if worker.poll() is not None:
            raise RuntimeError(f"the worker died:\n{env.log_tail('worker')}")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    env.stop(worker)
    jobs = IndexJob.objects.filter(document_id__in=ids)
    if jobs.filter(status="failed").exists():
        raise RuntimeError(f"indexing failed: {jobs.filter(status='failed').first().error}")  # type: ignore[union-attr]
    return sum(j.chunks_total for j in jobs), elapsed


def latencies(run: Callable[[str], Any], queries: Sequence[str]) -> list[float]:
    for query in queries[:20]:  # warm caches and code paths
        run(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000, help="about how many chunks to index")
    parser.add_argument("--queries", type=int, default=300, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    # The semantic extra would embed every chunk (hours on a CPU): this measures keyword search.
    os.environ["SEMANTIC_SEARCH"] = "off"
    cores = os.cpu_count() or 1
    with bench_env(args) as env:
        import bm25s
        import Stemmer

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG
        from django.db import connection

        from indexing.models import Chunk
        from indexing.search import proximity, search

        print(describe_machine(env), flush=True)
        started = time.perf_counter()
        corpus = make_corpus(args.chunks, args.seed)
        user, documents = create_documents(corpus)
        print(f"corpus: {len(documents)} documents, {sum(len(p) for p in corpus.documents):,} pages "
              f"({time.perf_counter() - started:.0f} s to generate and store)", flush=True)

        half = len(documents) // 2
        own_chunks, own_seconds = index_in_process(documents[:half])
        print(f"1 process: {own_chunks:,} chunks in {own_seconds:.1f} s", flush=True)
        worker_chunks, worker_seconds = index_with_worker(env, documents[half:], cores)
        print(f"worker -c {cores}: {worker_chunks:,} chunks in {worker_seconds:.1f} s", flush=True)

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after such a load
        texts = list(Chunk.objects.order_by("pk").values_list("text", flat=True))
        stemmer = Stemmer.Stemmer("english")
        started = time.perf_counter()
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
        bm25s_seconds = time.perf_counter() - started
        print(f"bm25s: {len(texts):,} chunks in {bm25s_seconds:.1f} s", flush=True)

        stop_words = set(corpus.words[:STOP_WORDS])
        queries = make_queries(texts, stop_words, args.queries, args.seed)

        def ours(query: str) -> Any:
            return search(user, query, limit=10)

        def bm25_alone(query: str) -> Any:  # the same search without the proximity re-sort
            proximity.ENABLED = False
            try:
                return search(user, query, limit=10)
            finally:
                proximity.ENABLED = True

        def theirs(query: str) -> Any:
            tokens = bm25s.tokenize([query.replace('"', "")], stopwords="en", stemmer=stemmer, show_progress=False)
            return retriever.retrieve(tokens, k=10, show_progress=False)

        rows = []
        for kind in QUERY_KINDS:
            mine = latencies(ours, queries[kind])
            alone = latencies(bm25_alone, queries[kind])
            other = latencies(theirs, queries[kind])
            matches = [search(user, query, limit=1).total for query in queries[kind]]
            rows.append([
                kind, fmt(percentile(mine, 50), 2), fmt(percentile(mine, 95), 2), fmt(percentile(alone, 50), 2),
                fmt(percentile(alone, 95), 2), fmt(percentile(other, 50), 2), fmt(percentile(other, 95), 2),
                f"{int(percentile(matches, 50)):,}", f"{int(percentile(matches, 95)):,}",
            ])

    total = len(texts)
    bm25s_rate = total / bm25s_seconds
    own_rate, worker_rate = own_chunks / own_seconds, worker_chunks / worker_seconds
    print_table(
        f"Indexing on {connection.vendor} ({total:,} chunks in the index)",
        ["indexer", "chunks/s", "vs bm25s"],
        [
            ["StudyAI, 1 process", fmt(own_rate, 0), f"{own_rate / bm25s_rate:.2f}x"],
            [f"StudyAI, Celery worker -c {cores}", fmt(worker_rate, 0), f"{worker_rate / bm25s_rate:.2f}x"],
            ["bm25s (tokenize + index), 1 process", fmt(bm25s_rate, 0), "1.00x"],
        ],
    )
    print_table(
        f"Query latency on {connection.vendor}, ms ({args.queries} queries each; limit 10)",
        ["query", "StudyAI p50", "StudyAI p95", "BM25 alone p50", "BM25 alone p95", "bm25s p50", "bm25s p95", "matches p50",
         "matches p95"],  # fmt: skip
        rows,
    )
    worst_p95 = max(float(r[2].replace(",", "")) for r in rows)
    verdict = "met" if worst_p95 < GOAL_P95_MS else "NOT met"
    print(f"goal: query p95 < {GOAL_P95_MS:.0f} ms -> worst p95 {worst_p95:.1f} ms: {verdict}")
    best = max(own_rate, worker_rate) / bm25s_rate
    verdict = "met" if best >= GOAL_INDEX_RATIO else "NOT met"
    print(f"goal: indexing >= {GOAL_INDEX_RATIO:.1f}x bm25s -> 1 process {own_rate / bm25s_rate:.2f}x, "
          f"worker {worker_rate / bm25s_rate:.2f}x: {verdict}")


if __name__ == "__main__":
    main()
