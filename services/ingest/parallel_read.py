"""Reading a large JSON-lines file on worker processes: the file is cut into ranges of whole lines, each
range parsed by the format's reader in a worker process, and the chunks handed back in file order, so
that the importing process stores one range while the workers parse the next two. Reading a record is
Python work that holds the interpreter's lock; in other processes it runs beside the store's writes.

Each range's reader numbers its lines from 1 and says how many it read; the chunks are renumbered here
by the lines of the ranges before them, so every line number, rejection and key is the one the plain
reader gives. A file too small to gain, a JSON array or pretty-printed file (not cut at line ends), a
gzip'd log, a format without a range reader, or workers that cannot start: the plain reader, in this
process (a failure to start workers is logged, never an import's failure). Off unless IMPORT_WORKERS
says how many workers.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import NamedTuple

import services.ingest.caliper as caliper
import services.ingest.caliper_records as caliper_records
import services.ingest.edx as edx
import services.ingest.xapi as xapi
from services.ingest.event_map import SETTING
from services.ingest.json_records import shape
from services.ingest.parsed import Chunk, Rejection
from services.ingest.textfile import FormatError, is_gzip

log = logging.getLogger(__name__)
_WORKER_CPU, _CPU_LOCK = [0.0], threading.Lock()

# The defaults of IMPORT_WORKERS (off until workers are measured to make imports faster: see
# docs/platform-data.md) and IMPORT_PARALLEL_MIN_KB.
WORKERS, MIN_KB = 0, 16_384
HEAD = 8 << 20  # the bytes of the file's start a range reader may look at (edX: the prefix decision)
RANGES_EACH = 4  # ranges a worker reads at least in a file of less than that many chunks
MIN_RANGE = 1 << 20  # bytes


def _xapi_lines(first: str) -> bool:
    try:
        return shape(first) == "lines"
    except FormatError:
        return False  # the plain reader says what is wrong with the file


class RangeReader(NamedTuple):
    """A format's reader of a range of lines, and whether a file's first characters allow cutting it."""

    read: Callable[..., tuple[list[Chunk], int]]
    splittable: Callable[[str], bool]
    needs_head: bool = False


RANGE_READERS = {
    "xapi": RangeReader(xapi.read_lines, _xapi_lines),
    "caliper": RangeReader(caliper.read_lines, caliper_records.by_line),
    "edx": RangeReader(edx.read_lines, edx.lines_of, needs_head=True),
}


def chunks(name: str, path: str | Path, plain: Callable[[], Iterator[Chunk]], *, chunk_rows: int,
           workers: int = WORKERS, min_kb: int = MIN_KB) -> Iterator[Chunk]:
    """The file's chunks: read by `workers` processes when the format and file allow it and the file
    has at least `min_kb` KB, else by `plain()` (the format's reader in this process)."""
    reader = RANGE_READERS.get(name)
    path = Path(path)
    if reader is None or workers <= 0 or path.stat().st_size < max(min_kb * 1024, 1) or is_gzip(path):
        return plain()
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    if not reader.splittable(head.decode("utf-8-sig", errors="replace")):
        return plain()
    return _in_order(name, path, head, chunk_rows, workers)


def _in_order(name: str, path: Path, head: bytes, chunk_rows: int, workers: int) -> Iterator[Chunk]:
    options = {"chunk_rows": chunk_rows, "event_map": os.environ.get(SETTING, "")}
    if RANGE_READERS[name].needs_head:
        options["head"] = head
    ranges = _ranges(path, _range_bytes(head, chunk_rows, path.stat().st_size, workers))
    pool = _pool(workers)
    pending: list[tuple[tuple[int, int], Future | None]] = []  # at most `workers` ranges read ahead
    offset = 0
    try:
        while True:
            while len(pending) < workers and (span := next(ranges, None)) is not None:
                pending.append((span, _submit(pool, name, path, span, options)))
                if pending[-1][1] is None:  # no worker took it: this range and the rest read here
                    pool, pending = _without_workers(pool, pending)
            if not pending:
                return
            span, future = pending.pop(0)
            found = _result(future)
            if found is None:  # no worker, or the workers are gone: this range and the rest read here
                pool, pending = _without_workers(pool, pending)
                found = read_range(name, str(path), *span, options)
            chunks_read, lines = found
            for chunk in chunks_read:
                if chunk.lines_read or len(chunk.frame) or chunk.rejected:  # not a range of blank lines
                    yield _shifted(chunk, offset)
            offset += lines
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _without_workers(pool: ProcessPoolExecutor | None, pending: list) -> tuple[None, list]:
    """No pool, and every pending range to be read in this process."""
    if pool is not None:
        pool.shutdown(cancel_futures=True)
    return None, [(span, None) for span, _ in pending]


def _pool(workers: int) -> ProcessPoolExecutor | None:
    """Worker processes started by a fork server (the serving process has threads: no plain fork)."""
    try:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return ProcessPoolExecutor(max_workers=workers, mp_context=context)
    except (OSError, ValueError) as error:
        log.warning("import workers cannot start (%s): reading in this process", error)
        return None


def _submit(pool: ProcessPoolExecutor | None, name: str, path: Path, span: tuple[int, int],
            options: dict) -> Future | None:
    if pool is None:
        return None
    try:
        return pool.submit(_in_worker, name, str(path), *span, options)
    except Exception as error:  # noqa: BLE001 (a broken pool; a daemon process, as a Celery worker, has no children)
        log.warning("import workers cannot take a range (%s): reading in this process", error)
        return None


def _result(future: Future | None) -> tuple[list[Chunk], int] | None:
    """A worker's chunks of a range, or None when there is no worker or the workers could not run it.
    The reader's own errors (a file that cannot be read) are raised as the plain reader raises them."""
    if future is None:
        return None
    try:
        packed, cpu_s = future.result()
    except BrokenProcessPool as error:
        log.warning("import workers stopped (%s): reading in this process", error)
        return None
    with _CPU_LOCK:
        _WORKER_CPU[0] += cpu_s
    return pickle.loads(packed)


def worker_cpu_seconds() -> float:
    """The CPU time the workers of this process's imports have spent reading (for benchmarks: it is
    not in this process's own CPU time)."""
    with _CPU_LOCK:
        return _WORKER_CPU[0]


def _in_worker(name: str, path: str, start: int, end: int, options: dict) -> tuple[bytes, float]:
    """`read_range` in a worker: the result pickled here, and the CPU time that took."""
    cpu = time.process_time()
    packed = pickle.dumps(read_range(name, path, start, end, options), protocol=pickle.HIGHEST_PROTOCOL)
    return packed, time.process_time() - cpu


def read_range(name: str, path: str, start: int, end: int, options: dict) -> tuple[list[Chunk], int]:
    """The chunks of the file's bytes `start`..`end` (whole lines), numbered from 1, and their lines."""
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    return RANGE_READERS[name].read(data, at_start=start == 0, **options)


def _range_bytes(head: bytes, chunk_rows: int, size: int, workers: int) -> int:
    """About `chunk_rows` lines of the file (going by the length of the lines at its start), less in a
    file too small to give each worker a few ranges: reading overlaps storing only from the second."""
    lines = max(head.count(b"\n"), 1)
    chunk = int(len(head) / lines * chunk_rows)
    return max(min(chunk, max(size // (workers * RANGES_EACH), MIN_RANGE)), 1)


def _ranges(path: Path, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of about `size` bytes, each ending at a line's end (the last: the file's)."""
    total = path.stat().st_size
    start = 0
    with path.open("rb") as handle:
        while start < total:
            handle.seek(min(start + size, total))
            handle.readline()  # on to the end of the line the cut fell in
            end = min(handle.tell(), total)
            yield start, end
            start = end


def _shifted(chunk: Chunk, offset: int) -> Chunk:
    """The chunk with its line numbers moved on by `offset` lines."""
    if not offset:
        return chunk
    frame = chunk.frame.assign(line=chunk.frame["line"] + offset)
    moved = {"frame": frame, "rejected": [Rejection(r.line + offset, r.reason) for r in chunk.rejected]}
    for name in ("statements", "mailboxes"):
        table = getattr(chunk, name)
        if table is not None:
            moved[name] = table.assign(line=table["line"] + offset)
    return dataclasses.replace(chunk, **moved)
