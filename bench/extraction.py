"""Pages per second from upload to `document.processed`, beside pypdfium2 extracting the same PDFs.

The documents are 10-, 100- and 500-page PDFs built with fpdf2 (bench.quiz's study notes: about
350 distinct words a page, a heading and a page number). In one run, on the same files, with the
modes of a round interleaved (rotating order) so a busy moment of the machine hits all alike:

  bare range    pypdfium2.PdfDocument + get_textpage().get_text_range() per page, in this
                process: the baseline
  bare bounded  the same with get_text_bounded(), the call the app's reader makes (full Unicode)
  extract       documents.extract.extract in this process (adds the file checks, normalisation)
  isolated      documents.extract.extract_isolated from this process (adds the child process:
                interpreter start, imports, JSON over a pipe)
  pipeline      documents.uploads.accept_upload(user, file, name) here, a real Celery worker
                (-c 1, document_queue only) processing it, timed until document.processed is read
                from the Redis stream (XREAD, blocking). Adds the upload (hash, file copy, row,
                event), the queue hop, the task's DB writes and events. A new user per upload, as
                the app refuses the same bytes twice from one user.

After each pipeline upload the benchmark waits until Celery has stored the task's result, so the
next round finds the worker idle. Indexing is left out (the worker does not consume
indexing_queue): the time stops at document.processed.

Memory, sampled every --sample-ms while the worker processes (pipeline rounds only): RSS of the
worker's main process and of its pool child, and the peak (VmHWM) of each extraction child the
pool child starts, as last read before it exits. `getrusage(RUSAGE_CHILDREN)` is printed too, but
it is not the extraction child's peak: at exec Linux carries the spawning process's high-water RSS
into the child's maxrss, so it reports at least the parent's own peak (this process's, or the
pool child's in the worker).

Also timed each round: the extraction child alone on the 100-page file (first page, `done`, exit),
started with the command line extract_isolated uses, to show the process's own fixed costs.

    .venv/bin/python -m bench.extraction [--sizes 10,100,500] [--rounds 15] [--database-url postgres://...]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._common import BenchEnv, base_parser, bench_env, create_users, describe_machine, fmt, load_average, median, print_table
from bench.quiz import build_pdf, study_pages
from studyai import processes

if TYPE_CHECKING:
    from documents.extract import ExtractionLimits

GOAL_RATIO = 0.70  # the pipeline's pages/s over the bare rate ...
GOAL_PAGES = 100  # ... on this file
STAGES = ("accept_upload", "queue hop + task start", "child start → page 1", "other pages + DB writes", "commit → read")

Mode = Callable[[int], float]  # runs once on the file of that many pages; returns seconds


# ---- the in-process modes -------------------------------------------------------------------


def bare(path: Path, bounded: bool) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            textpage.get_text_bounded() if bounded else textpage.get_text_range()
            textpage.close()
            page.close()
        return len(document)
    finally:
        document.close()


def timed(fn: Callable[[], int], pages: int) -> float:
    started = time.perf_counter()
    got = fn()
    elapsed = time.perf_counter() - started
    if got != pages:
        raise RuntimeError(f"read {got} pages of {pages}")
    return elapsed


# ---- memory of the worker -------------------------------------------------------------------


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:  # "pid (comm) state ppid ...": comm may hold spaces
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _vm_hwm(pid: int) -> int | None:
    """Peak RSS of a live process in bytes; None once it has exited (a zombie has no VmHWM)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@dataclass
class Peaks:
    main: int = 0
    pool: int = 0
    child: int = 0


class MemorySampler:
    """Samples the worker in a thread while `active`: RSS of the main and pool processes, and the
    VmHWM of the pool child's children (the extraction processes).

    psutil's children() scans every process (about 1.3 ms here, too much every 10 ms on 2 cores),
    and /proc/<pid>/task/*/children is not available on this kernel, so new pids are found by
    listing /proc and reading the parent of each pid not seen before. A child caught between
    fork and exec shows its parent's VmHWM; exec resets it, so the last reading is the one kept."""

    def __init__(self, worker_pid: int, interval: float) -> None:
        import psutil

        self.main = psutil.Process(worker_pid)
        pool = self.main.children()
        if len(pool) != 1:
            raise RuntimeError(f"expected one pool process under the worker, found {len(pool)}")
        self.pool = pool[0]
        self.interval = interval
        self.active = False
        self._seen = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        self._children: dict[int, int] = {}  # extraction child pid -> last VmHWM read
        self._peaks = Peaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._thread.start()

    def idle(self) -> Peaks:
        return Peaks(int(self.main.memory_info().rss), int(self.pool.memory_info().rss), 0)

    def begin(self) -> None:
        self._peaks, self._children = Peaks(), {}
        self.active = True

    def end(self) -> Peaks:
        self.active = False
        time.sleep(self.interval * 2)  # let a sample in progress finish
        self._peaks.child = max(self._children.values(), default=0)
        return self._peaks

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.active:
                self._sample()

    def _sample(self) -> None:
        peaks = self._peaks
        peaks.main = max(peaks.main, int(self.main.memory_info().rss))
        peaks.pool = max(peaks.pool, int(self.pool.memory_info().rss))
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in self._seen:
                continue
            pid = int(name)
            self._seen.add(pid)
            try:
                if _ppid(pid) == self.pool.pid:
                    self._children[pid] = 0
            except (OSError, IndexError, ValueError):
                pass  # gone already
        for pid in list(self._children):
            hwm = _vm_hwm(pid)
            if hwm is not None:
                self._children[pid] = hwm


# ---- the pipeline ---------------------------------------------------------------------------


@dataclass
class PipelineRuns:
    """Per size: the stage durations (seconds) and memory peaks of every measured upload."""

    stages: dict[int, list[dict[str, float]]] = field(default_factory=dict)
    peaks: dict[int, list[Peaks]] = field(default_factory=dict)


class StreamReader:
    """Reads the event stream forward from where it was at the start: nothing is missed between
    two reads, and events of earlier documents are skipped."""

    def __init__(self, redis_url: str) -> None:
        import redis
        from django.conf import settings

        self.client = redis.Redis.from_url(redis_url, decode_responses=True)
        self.stream: str = settings.STUDYAI_EVENTS["STREAM"]
        newest = self.client.xrevrange(self.stream, count=1)
        self.cursor = newest[0][0] if newest else "0-0"

    def wait_processed(self, document_id: int, task_key: str, timeout: float) -> dict[str, float]:
        """Epoch seconds of the document's events (occurred_at, set where they were published)
        up to document.processed, and `read`: when this process got that one."""
        from studyai.events.types import EventType, TaskStatus

        stamps: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        while True:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                raise TimeoutError(f"no document.processed for document {document_id} in {timeout} s")
            reply = self.client.xread({self.stream: self.cursor}, block=remaining_ms, count=100)
            now = time.time()
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    self.cursor = entry_id
                    event = json.loads(fields["event"])
                    data, kind = event["data"], event["event_type"]
                    if data.get("document_id") != document_id and event.get("correlation_id") != task_key:
                        continue
                    at = datetime.fromisoformat(event["occurred_at"]).timestamp()
                    if kind == EventType.DOCUMENT_FAILED:
                        raise RuntimeError(f"document {document_id} failed: {data}")
                    if kind == EventType.TASK_STATUS_UPDATE and data["status"] == TaskStatus.PROCESSING:
                        stamps.setdefault("page 1", at)  # the first progress update: page 1 is in
                    elif kind in (EventType.DOCUMENT_PROCESSING, EventType.DOCUMENT_PROCESSED):
                        stamps[kind] = at
                    if kind == EventType.DOCUMENT_PROCESSED:
                        stamps["read"] = now
                        return stamps


def start_worker(env: BenchEnv) -> subprocess.Popen[bytes]:
    os.environ["SEMANTIC_SEARCH"] = "off"  # the children inherit the environment
    os.environ["DOCUMENT_PAGE_DELAY_MS"] = "0"  # a demo setting that would slow every page
    worker = env.spawn("worker", processes.worker_command(["document_queue"], "bench-extraction", concurrency=1))
    deadline = time.monotonic() + 60
    while " ready." not in env.log_tail("worker"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{env.log_tail('worker')}")
        time.sleep(0.1)
    return worker


def make_pipeline(env: BenchEnv, files: dict[int, Path], users: list[Any], sampler: MemorySampler, runs: PipelineRuns) -> Mode:
    from django_celery_results.models import TaskResult

    from documents.models import Document
    from documents.uploads import accept_upload
    from studyai.events.types import EventType

    reader = StreamReader(env.redis_url)
    fresh_users = iter(users)

    def pipeline(pages: int) -> float:
        user = next(fresh_users)
        sampler.begin()
        with open(files[pages], "rb") as stream:
            started = time.time()
            document = accept_upload(user, stream, files[pages].name)
            accepted = time.time()
            stamps = reader.wait_processed(document.pk, f"doc_process_{document.pk}_{document.generation}", timeout=120)
        elapsed = stamps["read"] - started
        # Not timed: Celery storing the result after the task returned (the next upload would
        # otherwise wait for it behind -c 1).
        task_id = Document.objects.values_list("task_id", flat=True).get(pk=document.pk)
        deadline = time.monotonic() + 30
        while not TaskResult.objects.filter(task_id=task_id, status="SUCCESS").exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} has no SUCCESS result")
            time.sleep(0.005)
        runs.peaks.setdefault(pages, []).append(sampler.end())
        points = [started, accepted, stamps[EventType.DOCUMENT_PROCESSING], stamps["page 1"], stamps[EventType.DOCUMENT_PROCESSED], stamps["read"]]
        durations = {stage: b - a for stage, a, b in zip(STAGES, points[:-1], points[1:], strict=True)}
        runs.stages.setdefault(pages, []).append(durations)
        return elapsed

    return pipeline


# ---- figures --------------------------------------------------------------------------------


def fit(points: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares line through (pages, seconds): (fixed seconds, seconds per page)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    return mean_y - slope * mean_x, slope


def child_timeline(path: Path, limits: ExtractionLimits) -> tuple[float, float, float]:
    """The extraction child on its own, started as extract_isolated starts it: seconds from the
    start to its first page, to its `done` message, and to its exit."""
    command = [sys.executable, "-X", "faulthandler", "-m", "documents.extract.child", str(path), "application/pdf", json.dumps(limits.to_dict())]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=processes.BASE_DIR)
    assert child.stdout is not None
    first = done = 0.0
    for line in child.stdout:
        first = first or time.perf_counter()
        if line.startswith(b'{"done"'):
            done = time.perf_counter()
    child.wait()
    return first - started, done - started, time.perf_counter() - started


def mib(value: float) -> str:
    return fmt(value / 2**20)


def report(
    args: argparse.Namespace, sizes: list[int], seconds: dict[str, dict[int, list[float]]], runs: PipelineRuns, idle: Peaks, child: list[tuple[float, float, float]]
) -> None:
    rows = []
    for pages in sizes:
        base = pages / median(seconds["bare range"][pages])
        for name, per_size in seconds.items():
            samples = per_size[pages]
            rate = pages / median(samples)
            rows.append(
                [f"{pages}", name, fmt(median(samples) * 1000), f"{fmt(min(samples) * 1000)}–{fmt(max(samples) * 1000)}", fmt(rate, 0), f"{rate / base:.2f}x"]
            )
    print_table(
        f"Extraction, {args.rounds} rounds (median; x bare = pages/s over bare range's)",
        ["pages", "mode", "median ms", "range ms", "pages/s", "x bare"], rows,
    )  # fmt: skip

    rows = []
    for name, per_size in seconds.items():
        fixed, per_page = fit([(pages, median(per_size[pages])) for pages in sizes])
        rows.append([name, fmt(round(fixed * 1000, 1) + 0.0), fmt(per_page * 1e6, 0), fmt(1 / per_page, 0)])
    print_table(
        "Fixed cost and cost per page (least squares over the sizes' medians)",
        ["mode", "fixed ms", "µs / page", "pages/s past the fixed cost"], rows,
    )  # fmt: skip
    first, done, ended = (median([c[i] for c in child]) * 1000 for i in range(3))
    print(f"extraction child alone, {GOAL_PAGES} pages (median): first page at {fmt(first)} ms, done at {fmt(done)} ms, exited at {fmt(ended)} ms")

    rows = []
    for pages in sizes:
        stages = runs.stages[pages]
        rows.append([f"{pages}", *(fmt(median([s[stage] for s in stages]) * 1000) for stage in STAGES), fmt(median(seconds["pipeline"][pages]) * 1000)])
    print_table("Pipeline stages, median ms (from the events' occurred_at)", ["pages", *STAGES, "total"], rows)

    rows = [["idle (after start)", mib(idle.main), mib(idle.pool), "—"]]
    for pages in sizes:
        peaks = runs.peaks[pages]
        rows.append([f"{pages} pages, peak", mib(max(p.main for p in peaks)), mib(max(p.pool for p in peaks)), mib(max(p.child for p in peaks))])
    print_table(
        f"Worker memory, MiB (sampled every {args.sample_ms} ms; extraction child: VmHWM)",
        ["when", "worker main RSS", "pool child RSS", "extraction child peak"], rows,
    )  # fmt: skip
    # Not the children's own peak: at exec Linux keeps the spawning process's high-water RSS in
    # the child's maxrss, so this is at least this process's own peak.
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"getrusage(RUSAGE_CHILDREN).ru_maxrss here: {mib(children)} MiB, this process's own peak {mib(own)} MiB "
          "(the children's figure includes the parent's: not a measure of the extraction child)")  # fmt: skip

    bare_rate = GOAL_PAGES / median(seconds["bare range"][GOAL_PAGES])
    rate = GOAL_PAGES / median(seconds["pipeline"][GOAL_PAGES])
    ratio = rate / bare_rate
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(
        f"Goal (pipeline >= {GOAL_RATIO:.1f}x bare on {GOAL_PAGES} pages): {verdict}: {fmt(rate, 0)} pages/s against "
        f"{fmt(bare_rate, 0)} = {ratio:.2f}x (the goal needs {fmt(GOAL_PAGES / (GOAL_RATIO * bare_rate) * 1000)} ms per document, "
        f"the median was {fmt(median(seconds['pipeline'][GOAL_PAGES]) * 1000)} ms); against extract_isolated from this "
        f"process the pipeline is at {median(seconds['isolated'][GOAL_PAGES]) / median(seconds['pipeline'][GOAL_PAGES]):.2f}x"
    )


# ---- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = base_parser(__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10,100,500", help="page counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=15, help="measurements per size and mode (median reported)")
    parser.add_argument("--sample-ms", type=int, default=10, help="memory sampling interval")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if GOAL_PAGES not in sizes:
        parser.error(f"--sizes must include {GOAL_PAGES} (the goal's file)")

    with bench_env(args) as env:
        from django.contrib.auth import get_user_model

        from documents.extract import PDF, extract, extract_isolated
        from documents.tasks import extraction_limits

        print(f"machine: {describe_machine(env)}", flush=True)
        started = time.monotonic()
        files: dict[int, Path] = {}
        for pages in sizes:
            files[pages] = env.tmpdir / f"notes-{pages}.pdf"
            build_pdf(study_pages(pages), files[pages])
        print(f"built {len(sizes)} PDFs in {time.monotonic() - started:.1f} s: "
              + ", ".join(f"{p} pages {files[p].stat().st_size / 1024:,.0f} KiB" for p in sizes), flush=True)  # fmt: skip

        worker = start_worker(env)
        sampler = MemorySampler(worker.pid, args.sample_ms / 1000)
        idle = sampler.idle()
        user_ids = [u.id for u in create_users(args.rounds * len(sizes) + 1, prefix="extraction")]
        by_id = get_user_model().objects.in_bulk(user_ids)
        users = [by_id[i] for i in user_ids]
        runs = PipelineRuns()
        limits = extraction_limits()

        def pages_of(result: Any) -> int:
            return int(result.page_count)

        modes: dict[str, Mode] = {
            "bare range": lambda n: timed(lambda: bare(files[n], bounded=False), n),
            "bare bounded": lambda n: timed(lambda: bare(files[n], bounded=True), n),
            "extract": lambda n: timed(lambda: pages_of(extract(files[n], PDF, limits)), n),
            "isolated": lambda n: timed(lambda: pages_of(extract_isolated(files[n], PDF, limits)), n),
            "pipeline": make_pipeline(env, files, users, sampler, runs),
        }
        # Warm-up: imports, PDFium, the worker's first task (its DB connection, lazy imports).
        for mode in modes.values():
            mode(sizes[0])
        runs.stages.clear()
        runs.peaks.clear()

        seconds: dict[str, dict[int, list[float]]] = {name: {p: [] for p in sizes} for name in modes}
        child: list[tuple[float, float, float]] = []
        names = list(modes)
        try:
            for round_no in range(args.rounds):
                order = names[round_no % len(names) :] + names[: round_no % len(names)]
                for pages in sizes:
                    for name in order:
                        seconds[name][pages].append(modes[name](pages))
                child.append(child_timeline(files[GOAL_PAGES], limits))
                print(f"round {round_no + 1}/{args.rounds} done at {time.monotonic() - started:.0f} s", flush=True)
        finally:
            sampler.stop()

        report(args, sizes, seconds, runs, idle, child)
        print(f"at the end: {load_average()}")


if __name__ == "__main__":
    main()
